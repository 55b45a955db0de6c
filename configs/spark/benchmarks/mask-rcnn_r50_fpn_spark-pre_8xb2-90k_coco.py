# COCO Mask R-CNN R50-FPN fine-tuning from a SparK ResNet-50, the authors' detectron2 recipe
# (downstream_d2/configs/coco_R_50_FPN_CONV_1x_moco_adam.yaml): SyncBN in backbone, FPN and
# heads, 4conv1fc box head, 4conv mask head, nothing frozen; AdamW 2.5e-4 (batch 16), weight
# decay 1e-4 (none on norm layers), layer-wise lr decay 0.6 (downstream_d2/lr_decay.py,
# ResNetLayerDecayOptimWrapperConstructor), 1000 warm-up iterations from 0.01, 90k
# iterations with steps at 60k and 80k (gamma 0.25), train short side 480-896 step 32.
# Difference: the yaml turns on TEST.PRECISE_BN (detectron2 recomputes the BN statistics over
# 200 training iterations before each evaluation); this config does not. mmpretrain's
# PreciseBNHook cannot run here: it sizes its loop with `loader.batch_size`, which PyTorch sets
# to None when a batch sampler is given (this config's AspectRatioBatchSampler, detectron2's
# aspect-ratio grouping), so it stops with a TypeError; it would also run the detector in
# mode='tensor' (proposals from the RPN's test settings) rather than detectron2's training pass.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../../_base_/default_runtime.py',
]
norm_cfg = dict(type='SyncBN', requires_grad=True)
max_iters = 90000
model = dict(
    _scope_='mmdet',
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/spark_resnet50_8xb512-lamb-1600e_in1k/epoch_1600.pth',
            prefix='backbone.')),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256,
                       norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

data_root = 'data/coco/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(480, 897, 32)],
         keep_ratio=True, resize_type='mmdet.Resize'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='mmdet.AspectRatioBatchSampler'),
    dataset=dict(
        type='mmdet.CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdet.CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.CocoMetric', ann_file=data_root +
                     'annotations/instances_val2017.json', metric=['bbox', 'segm'])
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2.5e-4, betas=(0.9, 0.999), weight_decay=1e-4),
    constructor='ResNetLayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.6, norm_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[60000, 80000], gamma=0.25),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=5000, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=16)
