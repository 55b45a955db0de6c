# CMAE ViT-B/16 as the authors' configs/pre-training/cmae/*.py (github.com/ZhichengHuang/CMAE
# @e786a52): online CMAEViT (2x2-patch block masking, ratio 0.65), target CMAEViT (whole image,
# no final norm, EMA m = 0.996 constant), pixel decoder 512-d x 8, feature decoder 512-d x 2,
# projector 768-1536-256 and predictor 256-1536-256 (SyncBN eps 1e-6), InfoNCE tau 0.07 x 2 tau.
# Inputs are BGR, normalised with the RGB-ordered mean/std, as the authors' (their loader reads
# RGB and mmcv's Normalize(to_rgb=True) swaps it): their released weights expect this.
img_size = 224
patch_size = 16
embed_dims = 768
temperature = 0.07
# the authors' init: xavier-uniform linears and unit LayerNorms in the encoder and decoders;
# projector and predictor keep PyTorch's linear init and unit BN weights
xavier = [
    dict(type='Xavier', layer='Linear', distribution='uniform'),
    dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
]
decoder = dict(
    type='mmpretrain.MAEPretrainDecoder',
    _scope_='mmpretrain',
    num_patches=(img_size // patch_size)**2,
    patch_size=patch_size,
    in_chans=3,
    embed_dim=embed_dims,
    decoder_embed_dim=512,
    decoder_num_heads=16,
    mlp_ratio=4.,
    init_cfg=xavier)
mlp = dict(
    type='NonLinearNeck',
    hid_channels=1536,
    out_channels=256,
    num_layers=2,
    with_bias=True,
    with_last_bn=False,
    with_avg_pool=False,
    norm_cfg=dict(type='SyncBN', eps=1e-6))
model = dict(
    type='CMAE',
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=False),  # BGR, see above
    backbone=dict(
        type='CMAEViT',
        arch='b',
        img_size=img_size,
        patch_size=patch_size,
        block_size=2,
        mask_ratio=0.65,
        init_cfg=xavier),
    target_backbone=dict(
        type='CMAEViT',
        arch='b',
        img_size=img_size,
        patch_size=patch_size,
        mask_ratio=0.,
        final_norm=False),
    pixel_decoder=dict(decoder, decoder_depth=8),
    # the authors' width patch_size**2 * 3 = 768 = the encoder width of ViT-B/16, set explicitly
    feature_decoder=dict(decoder, decoder_depth=2, predict_feature_dim=embed_dims),
    projector=dict(mlp, type='mmpretrain.NonLinearNeck', _scope_='mmpretrain',
                   in_channels=embed_dims),
    pixel_head=dict(
        type='mmpretrain.MAEPretrainHead',
        _scope_='mmpretrain',
        norm_pix=True,
        patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    contrastive_head=dict(
        type='mmpretrain.MoCoV3Head',
        _scope_='mmpretrain',
        predictor=dict(mlp, in_channels=256),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature),
    base_momentum=0.004,  # 1 - m, constant (the authors' MomentumUpdateHook(end_momentum=0.996))
    end_momentum=0.004,
    target_update='after_step')
