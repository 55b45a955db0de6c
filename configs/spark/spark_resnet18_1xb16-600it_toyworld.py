# SparK pre-training of a ResNet-18 on unlabelled toy-world object images (160 px, random
# resized crops to 128 px): a 4 x 4 mask grid of 32 px cells, mask ratio 0.6 (6 of 16 cells
# visible), a 128-wide decoder, BN instead of SyncBN (one process), batch 16 (about 1.5 s per
# step on 2 CPU cores). The mechanisms are the paper's; the images and schedule are small.
_base_ = [
    '../_base_/models/spark_r50.py',
    '../_base_/datasets/toyworld_shapes_mae.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
img_size = 128
max_iters = 600
warmup_iters = 50
model = dict(
    densify_norm='bn',
    backbone=dict(depth=18, norm_cfg=dict(type='BN'), drop_path_rate=0.),
    neck=dict(feature_dim=128, norm_cfg=dict(type='BN')))
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=img_size,
        crop_ratio_range=(0.67, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None
# The paper's optimiser (LAMB (0.9, 0.95), clip 5 inside LAMB, no decay on 1-D parameters and
# mask tokens, weight decay 0.04 -> 0.2 by cosine) with a learning rate for a few hundred steps.
optim_wrapper = dict(
    type='OptimWrapper',
    _delete_=True,
    optimizer=dict(
        type='mmpretrain.Lamb', lr=2e-3, betas=(0.9, 0.95), weight_decay=0.04,
        max_grad_norm=5.0),
    clip_grad=None,
    paramwise_cfg=dict(
        bias_decay_mult=0., flat_decay_mult=0., custom_keys={'mask_token': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.005, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min_ratio=1e-3, by_epoch=False, begin=warmup_iters,
         end=max_iters),
    dict(type='mmpretrain.CosineAnnealingWeightDecay', eta_min=0.2, T_max=max_iters,
         by_epoch=False, begin=0, end=max_iters),
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(checkpoint=dict(interval=200))
