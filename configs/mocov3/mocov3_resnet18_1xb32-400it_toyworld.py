# MoCo v3 (mmpretrain's `MoCoV3`, unchanged) with a ResNet-18 on unlabelled toy-world images:
# the contrastive baseline of the convnet pre-training comparisons (SparK, MCL). The recipe is
# mmpretrain's `mocov3_resnet50_8xb512-amp-coslr-100e_in1k.py` (two asymmetric BYOL views,
# 2-layer projector and predictor without biases, temperature 1.0 for ResNets, loss weight 2T,
# momentum 0.99 -> 1, LARS with no decay and no adaptation on BN and biases, 10 % linear
# warm-up then cosine), with a toy ResNet-18 and 512/1024-wide MLPs in place of 2048/4096, the
# learning rate scaled linearly to batch 32 (9.6 * 32 / 4096 = 0.075), and 400 iterations.
_base_ = [
    '../_base_/datasets/toyworld_shapes_byol-views.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
temperature = 1.0
model = dict(
    type='mmpretrain.MoCoV3',
    _scope_='mmpretrain',
    data_preprocessor={{_base_.data_preprocessor}},
    base_momentum=0.01,  # mmpretrain's CosineEMA convention: m = 1 - 0.01 = 0.99, rising to 1
    backbone=dict(type='ResNet', depth=18, norm_cfg=dict(type='SyncBN')),
    neck=dict(
        type='NonLinearNeck',
        in_channels=512,
        hid_channels=1024,
        out_channels=256,
        num_layers=2,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=True),
    head=dict(
        type='MoCoV3Head',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=256,
            hid_channels=1024,
            out_channels=256,
            num_layers=2,
            with_bias=False,
            with_last_bn=False,
            with_last_bn_affine=False,
            with_last_bias=False,
            with_avg_pool=False),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature))

max_iters = 400
warmup_iters = 40
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        _delete_=True, type='mmpretrain.LARS', lr=0.075, weight_decay=1e-6, momentum=0.9),
    clip_grad=None,
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),  # BN of the shortcut
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters)
]
default_hooks = dict(checkpoint=dict(interval=200))
