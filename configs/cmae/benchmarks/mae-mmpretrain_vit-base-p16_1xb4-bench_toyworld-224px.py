# Speed benchmark, reference side: mmpretrain 1.2.0's MAE ViT-B/16 (its
# _base_/models/mae_vit-base-p16.py: mask ratio 0.75, decoder 512 x 8) on the same toy-world
# images at 224 px, batch 4, AdamW in fp32; see cmae_vit-base-p16_1xb4-bench_toyworld-224px.py.
_base_ = ['../../_base_/default_runtime.py']
model = dict(
    type='mmpretrain.MAE',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='MAEViT', arch='b', patch_size=16, mask_ratio=0.75),
    neck=dict(
        type='MAEPretrainDecoder',
        patch_size=16,
        in_chans=3,
        embed_dim=768,
        decoder_embed_dim=512,
        decoder_depth=8,
        decoder_num_heads=16,
        mlp_ratio=4.),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.CustomDataset',
        data_root='data/toyworld/imagenet/',
        data_prefix='train/',
        with_label=False,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='mmpretrain.RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0),
                 backend='pillow', interpolation='bicubic'),
            dict(type='mmpretrain.RandomFlip', prob=0.5),
            dict(type='mmpretrain.PackInputs'),
        ]))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20)
