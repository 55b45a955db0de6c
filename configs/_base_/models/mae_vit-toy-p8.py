# MAE (mmpretrain) with a toy-sized ViT: 64 px input, 8 px patches (64 patches), 128-d, 4 layers.
# "toy" is mmvl's own alias; it is not timm's ViT-Tiny (192-d, 12 layers).
img_size = 64
patch_size = 8
vit_toy = dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512)

model = dict(
    type='mmpretrain.MAE',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='MAEViT', arch=vit_toy, img_size=img_size, patch_size=patch_size, mask_ratio=0.75),
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=(img_size // patch_size)**2,
        patch_size=patch_size,
        in_chans=3,
        embed_dim=vit_toy['embed_dims'],
        decoder_embed_dim=64,
        decoder_depth=2,
        decoder_num_heads=4,
        mlp_ratio=4.),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
