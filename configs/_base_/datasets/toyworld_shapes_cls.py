# Toy-world single-object images in ImageNet-style class folders (label = shape), 64 px.
data_root = 'data/toyworld/imagenet/'
classes = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross', 'diamond', 'crescent')
data_preprocessor = dict(
    num_classes=len(classes),
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=64, crop_ratio_range=(0.6, 1.0)),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=64, edge='short'),
    dict(type='mmpretrain.CenterCrop', crop_size=64),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='mmpretrain.CustomDataset',
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='train/',
        metainfo=dict(classes=classes),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmpretrain.CustomDataset',
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='val/',
        metainfo=dict(classes=classes),
        pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
