# UNINEXT single-task detection and instance segmentation (the official
# single_task_det config): COCO 2017 only, 8 GPUs x 2 images, 177,600 iterations (24 epochs)
# with a 10x drop at 148,000 (20 epochs), from ImageNet R50 (no stage-1 weights); the rest,
# the learning rate included, inherits image_joint_r50 as the authors' file does.
_base_ = ['./uninext_r50_16xb2-92k_coco-refcoco-mixed.py']
max_iters = 177600
train_cfg = dict(max_iters=max_iters)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[148000],
         gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=16)

train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, **_base_.coco_train))
val_dataloader = dict(dataset=dict(_delete_=True, **_base_.coco_val))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='mmdet.CocoMetric',
    ann_file='data/coco/annotations/instances_val2017.json',
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator
