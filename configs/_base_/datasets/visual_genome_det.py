# Visual Genome v1.4 objects + attributes with the bottom-up-attention vocabulary (1,600
# objects, 400 attributes) and BUTD's image splits. Layout (data/vg/):
#   image_data.json objects.json attributes.json    (visualgenome.org, v1.4)
#   objects_vocab.txt attributes_vocab.txt          (peteanderson80/bottom-up-attention,
#   train.txt val.txt test.txt                       data/genome/1600-400-20/ and data/genome/)
#   VG_100K/ VG_100K_2/                             (the images)
dataset_type = 'VisualGenomeDetDataset'
data_root = 'data/vg/'
vg_files = dict(
    ann_file='objects.json',
    attr_file='attributes.json',
    image_data_file='image_data.json',
    objects_vocab='objects_vocab.txt',
    attributes_vocab='attributes_vocab.txt',
    data_prefix=dict(img=''))
backend_args = None

# Multi-scale training (arXiv 1910.13077 §2 says "multi-scale training" without the scales):
# shorter side drawn from 480-800 px, longer side <= 1333 (mmdet's multi-scale convention).
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='LoadAttributeLabels', max_attrs=16),
    dict(type='mmdet.RandomChoiceResize',
         scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='PackRegionDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(
        type='PackRegionDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'instances')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_file='train.txt',
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        **vg_files))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_file='val.txt',
        test_mode=True,
        pipeline=test_pipeline,
        **vg_files))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split_file='test.txt',
        test_mode=True,
        pipeline=test_pipeline,
        **vg_files))

val_evaluator = [
    dict(type='mmdet.CocoMetric', metric='bbox', format_only=False),
    dict(type='RegionAttributeAccuracy', iou_thr=0.5),
]
test_evaluator = val_evaluator
