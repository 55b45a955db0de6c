# The toy world in the Visual Genome layout (objects + attributes, BUTD vocabulary files);
# make it with
#   python tools/dataset_converters/make_toyworld.py --out data/toyworld
#   python tools/dataset_converters/toyworld_to_vg.py data/toyworld
dataset_type = 'VisualGenomeDetDataset'
data_root = 'data/toyworld/'
vg_files = dict(
    ann_file='vg/objects.json',
    attr_file='vg/attributes.json',
    image_data_file='vg/image_data.json',
    objects_vocab='vg/objects_vocab.txt',
    attributes_vocab='vg/attributes_vocab.txt',
    data_prefix=dict(img=''))
backend_args = None
img_scale = (160, 160)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='LoadAttributeLabels', max_attrs=16),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='PackRegionDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='PackRegionDetInputs',
        # `instances`: ground truth in original coordinates for the box and attribute metrics
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'instances')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_file='vg/train.txt',
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        **vg_files))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_file='vg/val.txt',
        test_mode=True,
        pipeline=test_pipeline,
        **vg_files))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='mmdet.CocoMetric', metric='bbox', format_only=False),
    dict(type='RegionAttributeAccuracy', iou_thr=0.5),
]
test_evaluator = val_evaluator
