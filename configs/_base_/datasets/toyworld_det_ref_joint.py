# Toy-world joint detection + referring data, the small stand-in of UNINEXT's stage-2 image
# joint training (COCO + refcoco-mixed at 1:1, coco_refcoco-mixed_uninext.py). Make the data
# with `python tools/dataset_converters/make_toyworld.py --out data/toyworld`.
#
# Contract with the model: every packed sample's metainfo has `task` ('detection' or
# 'grounding') and `text` (detection: tuple of class names that gt labels index into;
# grounding: the expression, one str, for the single gt instance with label 0). The sampler
# draws each batch from one source, so a batch holds one task.
data_root = 'data/toyworld/'
backend_args = None
# Must match mmvl.datasets.toyworld.CLASSES (a test checks it).
classes = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross', 'diamond', 'crescent')
# Toy scenes are 160 x 160: shortest side 160 (at most 1333) keeps them at their size.
img_scale = (1333, 160)
batch_size = 4

train_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                   'flip_direction', 'text', 'task')
test_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text',
                  'task')

det_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    # all 8 classes fit in the prompt: positives plus every negative, shuffled
    dict(type='CategoryPrompt', classes=classes, num_sample_negative=85),
    dict(type='mmdet.PackDetInputs', meta_keys=train_meta_keys),
]
ref_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='SampleExpression'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='SwapLeftRightOnFlip'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.PackDetInputs', meta_keys=train_meta_keys),
]
det_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    # after Resize: ground truth stays in original coordinates for the evaluator
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='CategoryPrompt', classes=classes, test_mode=True),
    dict(type='mmdet.PackDetInputs', meta_keys=test_meta_keys),
]
ref_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='SampleExpression', test_mode=True),
    dict(type='mmdet.PackDetInputs', meta_keys=test_meta_keys),
]

det_train = dict(
    type='CocoDataset',  # mmvl.CocoDataset: mmdet's, with clear errors for bad input
    data_root=data_root,
    metainfo=dict(classes=classes),
    ann_file='annotations/instances_train.json',
    data_prefix=dict(img='train/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=4),
    pipeline=det_train_pipeline,
    backend_args=backend_args)
ref_train = dict(
    type='RefCOCODataset',
    data_root=data_root,
    ann_file='refcoco/instances.json',
    split_file='refcoco/refs(unc).p',
    split='train',
    data_prefix=dict(img_path=''),  # file names hold the split folder
    pipeline=ref_train_pipeline,
    backend_args=backend_args)
det_val = dict(
    type='CocoDataset',
    data_root=data_root,
    metainfo=dict(classes=classes),
    ann_file='annotations/instances_val.json',
    data_prefix=dict(img='val/'),
    test_mode=True,
    pipeline=det_test_pipeline,
    backend_args=backend_args)
ref_val = dict(
    type='RefCOCODataset',
    data_root=data_root,
    ann_file='refcoco/instances.json',
    split_file='refcoco/refs(unc).p',
    split='val',
    data_prefix=dict(img_path=''),
    per_sentence=True,
    test_mode=True,
    pipeline=ref_test_pipeline,
    backend_args=backend_args)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=1,
    persistent_workers=True,
    # every batch from one source, sources 1:1; must use the same batch size
    sampler=dict(type='MultiSourceTaskSampler', batch_size=batch_size, source_ratio=[1, 1]),
    # mmdet's ConcatDataset accepts sources with different classes (8 shapes vs 'object')
    dataset=dict(type='mmdet.ConcatDataset', datasets=[det_train, ref_train]))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # mmdet's ConcatDataset also records cumulative_sizes in the metainfo, which
    # MultiDatasetsEvaluator uses to give each metric its own slice
    dataset=dict(type='mmdet.ConcatDataset', datasets=[det_val, ref_val]))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='mmdet.MultiDatasetsEvaluator',
    metrics=[
        dict(
            type='mmdet.CocoMetric',
            ann_file=data_root + 'annotations/instances_val.json',
            metric=['bbox', 'segm'],
            backend_args=backend_args),
        dict(type='ReferringMetric', metric=('prec@0.5', 'oiou', 'miou')),
    ],
    dataset_prefixes=['det', 'ref'])
test_evaluator = val_evaluator
