# CMAE-V with a toy video ViT: 8-frame 64 px clips, 2 x 8 x 8 tubelets (4 x 8 x 8 = 256 tokens),
# 128-d, 4 layers; tube masking at VideoMAE's 90 %. The CMAE parts shrink as in
# `cmae_vit-toy-p8.py` (decoders 64-d, pixel depth 2, feature depth 1; projector and predictor
# 128-256-64, BN1d with the authors' eps 1e-6 instead of SyncBN: torch's SyncBN does not run on
# CPU tensors in a multi-process run); only the encoder, the decoders' token grid and the pixel
# head are video parts.
num_frames = 8
img_size = 64
patch_size = 8
tubelet_size = 2
token_grid = (num_frames // tubelet_size, img_size // patch_size, img_size // patch_size)
vit_toy = dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512)
temperature = 0.07
_encoder = dict(
    type='VideoMAEViT',
    arch=vit_toy,
    img_size=img_size,
    num_frames=num_frames,
    patch_size=patch_size,
    tubelet_size=tubelet_size)
_decoder = dict(
    type='VideoMAEPretrainDecoder',
    token_grid=token_grid,
    patch_size=patch_size,
    tubelet_size=tubelet_size,
    embed_dim=vit_toy['embed_dims'],
    decoder_embed_dim=64,
    decoder_num_heads=4,
    mlp_ratio=4.)
_neck = dict(
    type='mmpretrain.NonLinearNeck',
    _scope_='mmpretrain',
    num_layers=2,
    with_bias=True,
    with_last_bn=False,
    with_avg_pool=False,
    norm_cfg=dict(type='BN1d', eps=1e-6))
model = dict(
    type='CMAE',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    backbone=dict(_encoder, mask_ratio=0.9, mask_unit=1),
    target_backbone=dict(_encoder, mask_ratio=0., final_norm=False),
    pixel_decoder=dict(_decoder, decoder_depth=2),
    feature_decoder=dict(_decoder, decoder_depth=1, predict_feature_dim=vit_toy['embed_dims']),
    projector=dict(_neck, in_channels=vit_toy['embed_dims'], hid_channels=256, out_channels=64),
    pixel_head=dict(
        type='VideoMAEPretrainHead',
        norm_pix=True,
        patch_size=patch_size,
        tubelet_size=tubelet_size,
        loss=dict(type='mmpretrain.PixelReconstructionLoss', criterion='L2')),
    contrastive_head=dict(
        type='mmpretrain.MoCoV3Head',
        _scope_='mmpretrain',
        predictor=dict(_neck, in_channels=64, hid_channels=256, out_channels=64),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature),
    base_momentum=0.004,
    end_momentum=0.004,
    target_update='after_step',
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
