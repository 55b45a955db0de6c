# Toy-world NLVR2 (official jsonl): each statement with its two images, True = 1 / False = 0.
# The two images are loaded by mmpretrain's ApplyToList and batched as B x 2 x 3 x H x W.
data_root = 'data/toyworld/'
image_scale = (160, 160)
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
train_pipeline = [
    dict(
        type='mmpretrain.ApplyToList',
        scatter_key='img_path',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=image_scale, keep_ratio=True),
        ],
        collate_keys=['img', 'img_shape', 'scale_factor', 'ori_shape']),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['sample_idx', 'img_path', 'img_shape', 'ori_shape']),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='NLVR2Dataset',
        data_root=data_root,
        ann_file='nlvr2/train.json',
        data_prefix='nlvr2/images/train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='NLVR2Dataset',
        data_root=data_root,
        ann_file='nlvr2/dev.json',
        data_prefix='nlvr2/images/dev',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
