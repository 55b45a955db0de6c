# What the open-world instance benchmarks trained on COCO share; coco_voc2nonvoc_instance.py,
# coco2uvo_instance.py, coco2lvis_instance.py and coco2objects365_instance.py inherit it: the
# 80 COCO classes, OLN's AR@k budgets, the DETR-family multi-scale train pipeline with masks,
# the test pipeline and the training set, COCO train2017 with all 80 classes (VOC -> non-VOC
# narrows it to the 20 VOC classes). Each benchmark adds its val/test set and evaluators; the
# val/test loader below holds only the settings they have in common.
#
# Data (standard mmdet COCO layout):
#   data/coco/annotations/instances_train2017.json, data/coco/train2017/*.jpg
dataset_type = 'CocoDataset'  # mmvl.CocoDataset: mmdet's, with clear errors for bad input
data_root = 'data/coco/'
backend_args = None

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
# OLN's AR@k budgets (LDET reports k <= 100 only).
proposal_nums = (10, 20, 30, 50, 100, 300, 500, 1000, 1500)

# DETR-family multi-scale augmentation (mmdet configs/dino/dino-4scale_r50_8xb2-12e_coco.py),
# with instance masks. RandomChoiceResize is mmcv's and builds its resize by name, so
# resize_type must name mmdet's Resize (mmcv's would leave boxes and masks alone).
multi_scales = [(480, 1333), (512, 1333), (544, 1333), (576, 1333), (608, 1333), (640, 1333),
                (672, 1333), (704, 1333), (736, 1333), (768, 1333), (800, 1333)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [
                dict(
                    type='RandomChoiceResize',
                    scales=multi_scales,
                    keep_ratio=True,
                    resize_type='mmdet.Resize')
            ],
            [
                dict(
                    type='RandomChoiceResize',
                    # all train images have an aspect ratio < 7 (as DETR)
                    scales=[(400, 4200), (500, 4200), (600, 4200)],
                    keep_ratio=True,
                    resize_type='mmdet.Resize'),
                dict(
                    type='mmdet.RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True),
                dict(
                    type='RandomChoiceResize',
                    scales=multi_scales,
                    keep_ratio=True,
                    resize_type='mmdet.Resize')
            ]
        ]),
    dict(type='mmdet.PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    # after Resize: ground truth stays in original coordinates for the evaluator
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=dict(classes=COCO_CLASSES),
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
# Not a complete val set: each benchmark adds ann_file and data_prefix, and type, data_root,
# metainfo or pipeline where its set is not a COCO-format one under data/coco/.
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
