# UNINEXT single-task REC and RES (the official single_task_rec config): refcoco-mixed only,
# 8 GPUs x 2 images, 190,362 iterations with a 10x drop at 158,635, from ImageNet R50 (no
# stage-1 weights); the rest, the learning rate included, inherits image_joint_r50 as the
# authors' file does. Evaluated on the val splits of RefCOCO, RefCOCO+ and RefCOCOg.
_base_ = ['./uninext_r50_16xb2-92k_coco-refcoco-mixed.py']
max_iters = 190362
train_cfg = dict(max_iters=max_iters)
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[158635],
         gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=16)

train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, **_base_.refcoco_mixed))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='mmdet.ConcatDataset', datasets=_base_.refs_val))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='mmdet.MultiDatasetsEvaluator',
    metrics=[_base_.referring_metric] * 3,
    dataset_prefixes=_base_.refs_prefixes)
test_evaluator = val_evaluator
