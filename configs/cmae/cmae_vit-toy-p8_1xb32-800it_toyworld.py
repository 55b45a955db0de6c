# CMAE pre-training on unlabelled toy-world images, with the toy ViT and the budget of
# configs/mae/mae_vit-toy-p8_1xb32-800it_toyworld.py (800 iterations, batch 32, 64 px, same
# optimiser and schedule), so the two pre-trainings compare one to one.
_base_ = [
    '../_base_/models/cmae_vit-toy-p8.py',
    '../_base_/datasets/toyworld_shapes_cmae.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None

# The authors' optimiser (AdamW, betas 0.9/0.95, wd 0.05, no decay on norms, biases and
# tokens) at the toy MAE config's learning rate for batch 32.
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
# the target moves after each optimizer step, as the authors' MomentumUpdateHook
custom_hooks = [dict(type='TargetUpdateHook')]
default_hooks = dict(checkpoint=dict(interval=200))
