# CMAE-V at paper scale (arXiv 2301.06018): CMAE's algorithm unchanged, the encoder is
# VideoMAE's ViT-B on 16 x 224 x 224 clips with 2 x 16 x 16 tubelets (8 x 14 x 14 = 1568
# tokens) and 90 % tube masking. What the CMAE-V paper does not state is taken from VideoMAE
# (encoder, mask, pixel decoder 4 x 384-d, normalised tubelet targets) and CMAE (feature
# decoder depth 2, projector / predictor 768-1536-256, tau 0.07, momentum 0.996, loss weights
# 1 / 1, target encoder without final norm); see configs/cmae_v/README.md.
num_frames = 16
img_size = 224
patch_size = 16
tubelet_size = 2
token_grid = (num_frames // tubelet_size, img_size // patch_size, img_size // patch_size)
embed_dims = 768
temperature = 0.07
_encoder = dict(
    type='VideoMAEViT',
    arch='base',
    img_size=img_size,
    num_frames=num_frames,
    patch_size=patch_size,
    tubelet_size=tubelet_size)
_decoder = dict(
    type='VideoMAEPretrainDecoder',
    token_grid=token_grid,
    patch_size=patch_size,
    tubelet_size=tubelet_size,
    embed_dim=embed_dims,
    decoder_embed_dim=384,
    decoder_num_heads=6,
    mlp_ratio=4.)
_neck = dict(
    type='mmpretrain.NonLinearNeck',
    _scope_='mmpretrain',
    num_layers=2,
    with_bias=True,
    with_last_bn=False,
    with_avg_pool=False,
    norm_cfg=dict(type='SyncBN', eps=1e-6))
model = dict(
    type='CMAE',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    backbone=dict(_encoder, mask_ratio=0.9, mask_unit=1),
    target_backbone=dict(_encoder, mask_ratio=0., final_norm=False),
    pixel_decoder=dict(_decoder, decoder_depth=4),
    feature_decoder=dict(_decoder, decoder_depth=2, predict_feature_dim=embed_dims),
    projector=dict(_neck, in_channels=embed_dims, hid_channels=1536, out_channels=256),
    pixel_head=dict(
        type='VideoMAEPretrainHead',
        norm_pix=True,
        pix_norm='tubelet',
        patch_size=patch_size,
        tubelet_size=tubelet_size,
        loss=dict(type='mmpretrain.PixelReconstructionLoss', criterion='L2')),
    contrastive_head=dict(
        type='mmpretrain.MoCoV3Head',
        _scope_='mmpretrain',
        predictor=dict(_neck, in_channels=256, hid_channels=1536, out_channels=256),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature),
    base_momentum=0.004,
    end_momentum=0.004,
    target_update='after_step',
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
