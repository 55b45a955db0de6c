# Toy-world downstream schedules for pre-trained convnets (iteration-based, so
# `--cfg-options train_cfg.max_iters=N` shortens them). Fine-tuning: every layer trains, AdamW,
# cosine after a short warm-up. A linear probe freezes the backbone (`frozen_stages=4`,
# `norm_eval=True`) and raises the learning rate: see `linear_probe` below.
_base_ = ['./toyworld_iter.py']
max_iters = 300
warmup_iters = 20
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05), clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.01,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
