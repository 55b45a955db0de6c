# MAE pre-training (mmpretrain's MAE, toy-sized ViT) on unlabelled toy-world images.
_base_ = [
    '../_base_/models/mae_vit-toy-p8.py',
    '../_base_/datasets/toyworld_shapes_mae.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None

# The recipe of mmpretrain's MAE config (AdamW, betas 0.9/0.95, no decay on norms and tokens),
# with the learning rate for batch 32 (1.5e-4 * 32 / 256 is too small for a few hundred steps).
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
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, eta_min_ratio=0.01)
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=200))
