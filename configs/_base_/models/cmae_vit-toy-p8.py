# CMAE with the toy-sized ViT of `mae_vit-toy-p8.py` (64 px, 8 px patches, 128-d, 4 layers).
# Decoders shrink like MAE's toy decoder (64-d; depth 2 for pixels and 1 for features keeps the
# paper's "feature decoder shallower than the pixel decoder"); projector and predictor shrink
# 768-1536-256 -> 128-256-64, with BN (eps 1e-6 as the authors') instead of SyncBN: torch's
# SyncBN does not run on CPU tensors in a multi-process run. Block masking keeps 2x2-patch
# units (16 px) at ratio 0.65.
img_size = 64
patch_size = 8
vit_toy = dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512)
num_patches = (img_size // patch_size)**2
temperature = 0.07
# the authors' init: xavier-uniform linears and unit LayerNorms in the encoder and decoders;
# projector and predictor keep PyTorch's linear init and unit BN weights
xavier = [
    dict(type='Xavier', layer='Linear', distribution='uniform'),
    dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
]

_decoder = dict(
    type='mmpretrain.MAEPretrainDecoder',
    _scope_='mmpretrain',
    num_patches=num_patches,
    patch_size=patch_size,
    in_chans=3,
    embed_dim=vit_toy['embed_dims'],
    decoder_embed_dim=64,
    decoder_num_heads=4,
    mlp_ratio=4.,
    init_cfg=xavier)
model = dict(
    type='CMAE',
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),  # the toy world is RGB (the paper configs feed BGR, see configs/cmae)
    backbone=dict(
        type='CMAEViT',
        arch=vit_toy,
        img_size=img_size,
        patch_size=patch_size,
        block_size=2,
        mask_ratio=0.65,
        init_cfg=xavier),
    target_backbone=dict(
        type='CMAEViT',
        arch=vit_toy,
        img_size=img_size,
        patch_size=patch_size,
        mask_ratio=0.,
        final_norm=False),
    pixel_decoder=dict(_decoder, decoder_depth=2),
    # the feature decoder predicts encoder-width features (the authors' patch**2 * 3 equals
    # the width only for ViT-B/16)
    feature_decoder=dict(_decoder, decoder_depth=1, predict_feature_dim=vit_toy['embed_dims']),
    projector=dict(
        type='mmpretrain.NonLinearNeck',
        _scope_='mmpretrain',
        in_channels=vit_toy['embed_dims'],
        hid_channels=256,
        out_channels=64,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d', eps=1e-6)),
    pixel_head=dict(
        type='mmpretrain.MAEPretrainHead',
        _scope_='mmpretrain',
        norm_pix=True,
        patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    contrastive_head=dict(
        type='mmpretrain.MoCoV3Head',
        _scope_='mmpretrain',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=64,
            hid_channels=256,
            out_channels=64,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=False,
            norm_cfg=dict(type='BN1d', eps=1e-6)),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature),
    base_momentum=0.004,
    end_momentum=0.004,
    target_update='after_step')
