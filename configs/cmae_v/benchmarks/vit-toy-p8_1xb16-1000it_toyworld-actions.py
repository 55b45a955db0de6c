# The toy fine-tuning protocol that separates initialisations: the 300-iteration config
# (`vit-toy-p8_1xb16-300it_toyworld-actions.py`) ends inside the initial plateau of a
# from-scratch toy ViT (train loss near ln 8 until about iteration 300, val top-1 at chance),
# so it cannot tell a good pre-training from none. Here: 1000 iterations (about 42 epochs of
# the 384 train clips), no layer-wise lr decay and no drop path, the same for every
# initialisation (`model.backbone.init_cfg=None` for random, or
# `model.backbone.init_cfg.checkpoint=<pre-training ckpt>`); val at 500 and 1000.
_base_ = ['./vit-toy-p8_1xb16-300it_toyworld-actions.py']
max_iters = 1000
warmup_iters = 50
train_cfg = dict(max_iters=max_iters, val_interval=500)
model = dict(backbone=dict(drop_path_rate=0.))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters,
        eta_min_ratio=0.01)
]
default_hooks = dict(checkpoint=dict(interval=max_iters), logger=dict(interval=50))
