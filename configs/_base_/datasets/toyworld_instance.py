# Toy world, COCO instances format (boxes + polygon masks); make it with
#   python tools/dataset_converters/make_toyworld.py --out data/toyworld
dataset_type = 'CocoDataset'  # mmvl.CocoDataset: mmdet's, with clear errors for bad input
data_root = 'data/toyworld/'
# Must match mmvl.datasets.toyworld.CLASSES (a test checks it).
classes = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross', 'diamond', 'crescent')
palette = [(220, 20, 60), (0, 130, 200), (60, 180, 75), (255, 225, 25), (145, 30, 180),
           (245, 130, 48), (70, 240, 240), (240, 50, 230)]
metainfo = dict(classes=classes, palette=palette)
backend_args = None
# Toy scenes are 160 x 160; other images (e.g. photographs in the demo) are fitted into it.
img_scale = (160, 160)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    # after Resize: ground truth stays in original coordinates for the evaluator
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='mmdet.CocoMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
