# Unlabelled toy-world scenes for masked image modelling (mmpretrain loaders and transforms).
data_root = 'data/toyworld/'
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
        with_label=False,
        pipeline=train_pipeline))
