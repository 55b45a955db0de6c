# Toy-world object-centric images (the ImageNet-style train folders) without their labels, for
# masked image modelling, as MAE pre-trains on ImageNet train images (mmpretrain components).
data_root = 'data/toyworld/imagenet/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.4, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.CustomDataset',
        data_root=data_root,
        data_prefix='train/',
        with_label=False,  # labels are not read: self-supervised
        pipeline=train_pipeline))
