# CMAE-V pre-training on the unlabelled toy-world action clips (toy video ViT, 8 x 64 x 64
# clips, batch 32, 400 iterations). The VideoMAE baseline
# `videomae_vit-toy-p8_1xb32-400it_toyworld-actions.py` has the same encoder, pixel decoder,
# pixel head, mask, data, optimiser and schedule: it lacks only CMAE's contrastive branch.
_base_ = [
    '../_base_/models/cmae-v_vit-toy-p8.py',
    '../_base_/datasets/toyworld_actions_cmae-v.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
max_iters = 400
warmup_iters = 40
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None

# CMAE's optimiser (AdamW, betas 0.9/0.95, wd 0.05, no decay on norms, biases and tokens).
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.95), weight_decay=0.05),
    clip_grad=None,
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters,
        eta_min_ratio=0.01)
]
auto_scale_lr = dict(base_batch_size=32)
# the target moves after each optimizer step (CMAE's MomentumUpdateHook)
custom_hooks = [dict(type='TargetUpdateHook')]
default_hooks = dict(checkpoint=dict(interval=200))
