# Toy-world image-caption pre-training pairs from the COCO-captions files (5 captions an image).
# `group_size` = captions per entry (SOHO reads 4 captions of an image per item: set
# `train_dataloader.dataset.group_size=4` in a child config and
# the entries carry `texts`; the pre-training models run the CNN once per image and pair its
# features with each caption); None gives one caption per entry in `text`.
data_root = 'data/toyworld/'
image_scale = (160, 160)
group_size = None
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'texts', 'image_id']),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='COCOCaptionPretrain',
        data_root=data_root,
        ann_file='annotations/captions_train.json',
        data_prefix='',
        group_size=group_size,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='COCOCaptionPretrain',
        data_root=data_root,
        ann_file='annotations/captions_val.json',
        data_prefix='',
        group_size=group_size,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
