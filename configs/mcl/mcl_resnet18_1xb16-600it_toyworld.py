# MCL pre-training on the toy world's object images (labels unused): the paper's mechanisms
# (8 BYOL views, 4 montage levels, FPN-level matching, momentum target, 8 loss terms, the
# full-map region neck) with a ResNet-18, a 64 px canvas (2x2 cells, 8 px sub-images at level
# 3), 64-d embeddings and 16 images per batch.
_base_ = [
    '../_base_/models/mcl_r50-fpn.py',
    '../_base_/datasets/toyworld_shapes_byol-views.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
canvas_size = 64
images_per_gpu = 16
norm_cfg = dict(type='BN')
norm1d_cfg = dict(type='BN1d')
embed_dims = 64
hid_dims = 512

model = dict(
    data_preprocessor=dict(
        canvas_size=canvas_size,
        # 16 whole images, 4 2x2 montages, 1 4x4 and 1 8x8 montage (each image 4 times)
        num_montages=[images_per_gpu, images_per_gpu // 4, 1, 1]),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=[  # a list replaces the base's: both entries in full
        dict(
            type='mmdet.FPN',
            _scope_='mmdet',
            in_channels=[64, 128, 256, 512],
            out_channels=embed_dims,
            num_outs=4,
            norm_cfg=norm_cfg),
        dict(
            type='MCLRegionNeck',
            in_channels=embed_dims,
            hid_channels=hid_dims,
            out_channels=embed_dims,
            cell_size=canvas_size // 32,
            num_convs=4,
            norm_cfg=norm_cfg,
            mlp_norm_cfg=norm1d_cfg),
    ],
    head=dict(
        predictor=dict(
            in_channels=embed_dims, hid_channels=hid_dims, out_channels=embed_dims,
            norm_cfg=norm1d_cfg)))

# the base file's two BYOL pipelines, cropped to the canvas; 4 views from each
view_pipeline1 = _base_.view_pipeline1
view_pipeline2 = _base_.view_pipeline2
view_pipeline1[0]['scale'] = canvas_size
view_pipeline2[0]['scale'] = canvas_size
train_dataloader = dict(
    batch_size=images_per_gpu,
    drop_last=True,  # level 0 needs exactly `images_per_gpu` images
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='mmpretrain.MultiView', num_views=[4, 4],
             transforms=[view_pipeline1, view_pipeline2]),
        dict(type='mmpretrain.PackInputs'),
    ]))

max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = None
test_cfg = None
# LARS as the paper, no decay nor LARS adaptation on BN layers and biases (the authors' two
# patterns), clip 500. The paper's 1.0 per 256 images would be lr 0.0625 here; a LARS step is
# about lr x 0.001 x the weight norm, so that barely moves in 600 steps: lr 0.3 was still at
# chance after 40 iterations, lr 2.0 learns (total loss 11.12 -> 10.83 in 80 iterations).
lr = 2.0
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='mmpretrain.LARS', lr=lr, momentum=0.9, weight_decay=1e-5),
    clip_grad=dict(max_norm=500),
    paramwise_cfg=dict(custom_keys={
        'bn': dict(decay_mult=0, lars_exclude=True),
        'bias': dict(decay_mult=0, lars_exclude=True),
        # the predictors' BN weights (`mlp.1.weight` there) escape the authors' pattern
        'bn0.weight': dict(decay_mult=1, lars_exclude=False),
    }))
warmup_iters = 60
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         eta_min=1e-4 * lr)
]
default_hooks = dict(checkpoint=dict(interval=200))
