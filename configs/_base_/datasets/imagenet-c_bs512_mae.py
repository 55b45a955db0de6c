# ImageNet-1k train images corrupted ImageNet-C style, for masked-autoencoder pre-training on
# corrupted data (TBM, CVPR 2023). As ImageNet-C is made, each image is resized (short side 256),
# centre-cropped to 224 and corrupted once (a fixed corrupted dataset: the draws depend on the
# seed and the image's path); MAE's usual augmentation follows. The corrupted image is both the
# encoder's input and MAE's reconstruction target. Set `corruption` / `severity` in a config
# that inherits this one and restate `train_dataloader` (they are read when this file is parsed).
data_root = 'data/imagenet/'
corruption = 'gaussian_noise'  # one model per corruption type, as in the paper
severity = [1, 2, 3, 4, 5]  # drawn per image: all ImageNet-C levels
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    dict(type='mmvl.ImageCorruption', corruption=corruption, severity=severity, seed=0),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.ImageNet',
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
