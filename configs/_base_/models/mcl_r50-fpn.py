# MCL (arXiv 2304.02010) as the authors configure it (github.com/GuoQiushan/MCL@1912aa9,
# configs/selfsup/MCL/MCL.py): ResNet-50 + FPN + region neck, online and momentum target,
# 4 montage levels (224 px canvas, 7x7 cells), 4 predictors, T = 1, w = 1/2, 1/4, 1/8, 1/8.
canvas_size = 224
images_per_gpu = 128
# montages per level: the whole images, then 2x2, 4x4 and 8x8 montages (level 3 uses each
# image twice); the authors' `batch_sizes`
num_montages = [images_per_gpu, images_per_gpu // 4, images_per_gpu // 16, images_per_gpu // 32]
norm_cfg = dict(type='SyncBN')  # the authors convert every BN to SyncBN
embed_dims = 256

model = dict(
    type='MCL',
    base_momentum=0.01,  # m = 0.99 -> 1 (cosine), BYOL convention of mmpretrain's CosineEMA
    end_momentum=0.,
    target_update='after_step',  # with TargetUpdateHook, as the authors' BYOLHook
    slice_first=False,  # the authors' neck embeds every cell of every level (BN parity)
    data_preprocessor=dict(
        type='MCLDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True,
        canvas_size=canvas_size,
        downsample_ratios=[1, 2, 4, 8],
        num_montages=num_montages,
        query_views=[0, 1, 2, 3],  # views of the first BYOL pipeline
        key_views=[4, 5, 6, 7]),  # views of the second
    backbone=dict(
        type='mmpretrain.ResNet',
        _scope_='mmpretrain',
        depth=50,
        out_indices=(0, 1, 2, 3),  # C2..C5
        norm_cfg=norm_cfg,
        zero_init_residual=False,
        # the authors' OpenSelfSup ResNet: Kaiming fan-in convs, unit BN weights
        init_cfg=[
            dict(type='Kaiming', layer=['Conv2d'], mode='fan_in', nonlinearity='relu'),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]),
    neck=[
        dict(
            type='mmdet.FPN',
            _scope_='mmdet',
            in_channels=[256, 512, 1024, 2048],
            out_channels=embed_dims,
            num_outs=4,  # P2..P5, no extra level
            norm_cfg=norm_cfg),
        dict(
            type='MCLRegionNeck',
            in_channels=embed_dims,
            hid_channels=2048,
            out_channels=embed_dims,
            cell_size=canvas_size // 32,
            num_convs=4,
            norm_cfg=norm_cfg,
            mlp_norm_cfg=norm_cfg),
    ],
    head=dict(
        type='MCLHead',
        predictor=dict(
            type='mmpretrain.NonLinearNeck',
            _scope_='mmpretrain',
            in_channels=embed_dims,
            hid_channels=2048,
            out_channels=embed_dims,
            num_layers=2,
            with_bias=True,
            with_last_bias=True,
            with_last_bn=False,
            with_avg_pool=False,
            norm_cfg=norm_cfg),
        level_weights=[1 / 2, 1 / 4, 1 / 8, 1 / 8],
        temperature=1.0),
)
custom_hooks = [dict(type='TargetUpdateHook')]
