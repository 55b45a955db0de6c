# UNINEXT stage-2 image joint data (Yan et al., CVPR 2023; spec det_seg.md 1.5, 1.7): COCO 2017
# train instances (80 classes, detection + instance segmentation) and refcoco-mixed (RefCOCO
# unc + RefCOCO+ unc + RefCOCOg umd train refs, referring detection + segmentation), batches
# drawn 1:1 from the two, each batch from one of them (one task per batch), 2 images per GPU.
#
# Data (mmdet's COCO and RefCOCO layouts):
#   data/coco/annotations/instances_{train,val}2017.json, data/coco/{train,val}2017/*.jpg
#   data/coco/train2014/*.jpg (RefCOCO images)
#   data/coco/refcoco/{instances.json,refs(unc).p}, data/coco/refcoco+/{instances.json,
#   refs(unc).p}, data/coco/refcocog/{instances.json,refs(umd).p}   (the refer API release)
#
# NOTE: the authors read SeqTR's processed jsons converted to COCO format
# (refcoco-mixed/instances_train.json, 126,908 referred objects, one image entry per object);
# this reads the original refer-API files with one entry per ref, so counts may differ.
# (From memory, not checked on the files: the three train splits hold 42,404 + 42,278 +
# 42,226 = 126,908 refs.) RefCOCO val/test images come from COCO train2014, which lies inside
# COCO train2017; neither the authors' configs nor this one removes them from the COCO part.
data_root = 'data/coco/'
backend_args = None
batch_size = 2  # per GPU; 16 GPUs x 2 in the paper

# The 80 COCO classes in category-id order (mmdet's CocoDataset.METAINFO['classes']).
COCO_CLASSES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
    'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
    'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
    'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone',
    'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
    'teddy bear', 'hair drier', 'toothbrush')

train_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                   'flip_direction', 'text', 'task')
test_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text',
                  'task')

# Shortest side in {480, 512, ..., 800}, longest at most 1333; with p=0.5 first a shortest
# side in {400, 500, 600} and an absolute-range crop of 384-600 (the DETR-style RandomChoice
# of mmdet's DINO config). RandomChoiceResize is mmcv's: resize_type names mmdet's Resize so
# boxes and masks follow. The crop is skipped for expressions with an ordinal word and never
# removes the referred object (GroundingSafeRandomCrop).
multi_scales = [(1333, 480), (1333, 512), (1333, 544), (1333, 576), (1333, 608), (1333, 640),
                (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)]
augment = dict(
    type='RandomChoice',
    transforms=[
        [dict(type='RandomChoiceResize', scales=multi_scales, keep_ratio=True,
              resize_type='mmdet.Resize')],
        [
            dict(type='RandomChoiceResize', scales=[(4200, 400), (4200, 500), (4200, 600)],
                 keep_ratio=True, resize_type='mmdet.Resize'),
            dict(
                type='GroundingSafeRandomCrop',
                # an empty detection crop is redrawn (the dataset resamples on None), as the
                # authors' mapper does; boxes follow the cropped masks
                crop=dict(type='mmdet.RandomCrop', crop_type='absolute_range',
                          crop_size=(384, 600), allow_negative_crop=False,
                          recompute_bbox=True)),
            dict(type='RandomChoiceResize', scales=multi_scales, keep_ratio=True,
                 resize_type='mmdet.Resize'),
        ],
    ])

det_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    augment,
    # after the crop, so that the positives are the classes left in the image. COCO's 80
    # names fit UNINEXT's 254-token caption, so its overflow rule (max_tokens) is not set.
    dict(type='CategoryPrompt', classes=COCO_CLASSES, num_sample_negative=85),
    dict(type='mmdet.PackDetInputs', meta_keys=train_meta_keys),
]
ref_train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='SampleExpression'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='SwapLeftRightOnFlip'),
    augment,
    dict(type='mmdet.PackDetInputs', meta_keys=train_meta_keys),
]
det_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    # after Resize: ground truth stays in original coordinates for the evaluator
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='CategoryPrompt', classes=COCO_CLASSES, test_mode=True),
    dict(type='mmdet.PackDetInputs', meta_keys=test_meta_keys),
]
ref_test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='SampleExpression', test_mode=True),
    dict(type='mmdet.PackDetInputs', meta_keys=test_meta_keys),
]

# Settings every RefCOCO(+/g) set shares; each set below adds its files and split.
ref_common = dict(
    type='RefCOCODataset',
    data_root=data_root,
    data_prefix=dict(img_path='train2014/'),
    backend_args=backend_args)
ref_train_args = dict(pipeline=ref_train_pipeline)
refcoco_mixed = dict(
    type='mmdet.ConcatDataset',
    datasets=[
        dict(ref_common, ann_file='refcoco/instances.json', split_file='refcoco/refs(unc).p',
             split='train', **ref_train_args),
        dict(ref_common, ann_file='refcoco+/instances.json',
             split_file='refcoco+/refs(unc).p', split='train', **ref_train_args),
        dict(ref_common, ann_file='refcocog/instances.json',
             split_file='refcocog/refs(umd).p', split='train', **ref_train_args),
    ])
coco_train = dict(
    type='CocoDataset',  # mmvl.CocoDataset: mmdet's, with clear errors for bad input
    data_root=data_root,
    metainfo=dict(classes=COCO_CLASSES),
    ann_file='annotations/instances_train2017.json',
    data_prefix=dict(img='train2017/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline=det_train_pipeline,
    backend_args=backend_args)
coco_val = dict(
    type='CocoDataset',
    data_root=data_root,
    metainfo=dict(classes=COCO_CLASSES),
    ann_file='annotations/instances_val2017.json',
    data_prefix=dict(img='val2017/'),
    test_mode=True,
    pipeline=det_test_pipeline,
    backend_args=backend_args)
# The val splits of the three sets, every expression scored once; for the paper's test
# splits set `split` to testA / testB (RefCOCO, RefCOCO+) or test (RefCOCOg umd).
ref_test_args = dict(split='val', per_sentence=True, test_mode=True, pipeline=ref_test_pipeline)
refcoco_val = dict(ref_common, ann_file='refcoco/instances.json',
                   split_file='refcoco/refs(unc).p', **ref_test_args)
refcocoplus_val = dict(ref_common, ann_file='refcoco+/instances.json',
                       split_file='refcoco+/refs(unc).p', **ref_test_args)
refcocog_val = dict(ref_common, ann_file='refcocog/instances.json',
                    split_file='refcocog/refs(umd).p', **ref_test_args)
refs_val = [refcoco_val, refcocoplus_val, refcocog_val]
refs_prefixes = ['refcoco', 'refcoco+', 'refcocog']
referring_metric = dict(type='ReferringMetric', metric=('prec@0.5', 'oiou', 'miou'))

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    # every batch from one source, COCO : refcoco-mixed = 1 : 1; same batch size as above
    sampler=dict(type='MultiSourceTaskSampler', batch_size=batch_size, source_ratio=[1, 1]),
    dataset=dict(type='mmdet.ConcatDataset', datasets=[coco_train, refcoco_mixed]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # mmdet's ConcatDataset records cumulative_sizes for MultiDatasetsEvaluator
    dataset=dict(type='mmdet.ConcatDataset', datasets=[coco_val, *refs_val]))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='mmdet.MultiDatasetsEvaluator',
    metrics=[
        dict(
            type='mmdet.CocoMetric',
            ann_file=data_root + 'annotations/instances_val2017.json',
            metric=['bbox', 'segm'],
            backend_args=backend_args),
        referring_metric, referring_metric, referring_metric
    ],
    dataset_prefixes=['det', *refs_prefixes])
test_evaluator = val_evaluator
