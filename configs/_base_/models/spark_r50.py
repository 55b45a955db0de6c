# SparK (mmvl) around a dense mmpretrain ResNet-50, as the authors' resnet50 pre-training:
# SyncBN in the encoder, the densify norms and the decoder; decoder width 768; mask ratio 0.6
# of a 7 x 7 grid of 32 px cells; drop path 0.05.
downsample_ratio = 32
decoder_width = 768
model = dict(
    type='SparK',
    downsample_ratio=downsample_ratio,
    mask_generator=dict(type='SparKMaskGenerator', mask_ratio=0.6),
    densify_norm='syncbn',
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='mmpretrain.ResNet',
        _scope_='mmpretrain',
        depth=50,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='SyncBN'),
        drop_path_rate=0.05),
    neck=dict(
        type='mmpretrain.SparKLightDecoder',
        _scope_='mmpretrain',
        feature_dim=decoder_width,
        upsample_ratio=downsample_ratio,
        mid_channels=0,
        norm_cfg=dict(type='SyncBN'),
        last_act=False,
        # the authors' LightDecoder.initialize(): trunc-normal(.02) convs, Kaiming (fan out)
        # transposed convs, BN weight 1 and bias 0
        init_cfg=[
            dict(type='TruncNormal', layer='Conv2d', std=.02, bias=0.),
            dict(type='Kaiming', layer='ConvTranspose2d', mode='fan_out',
                 nonlinearity='relu', bias=0.),
            dict(type='Constant', layer='_BatchNorm', val=1., bias=0.),
        ]),
    head=dict(
        type='mmpretrain.SparKPretrainHead',
        _scope_='mmpretrain',
        norm_pix=True,
        patch_size=downsample_ratio,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')))
