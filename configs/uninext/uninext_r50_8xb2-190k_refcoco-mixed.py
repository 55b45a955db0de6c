# UNINEXT single-task REC and RES (the official single_task_rec config): refcoco-mixed only,
# 8 GPUs x 2 images, 190,362 iterations with a 10x drop at 158,635. The other settings are the
# joint config's; the single-task base learning rate was not read from the authors' file
# (2e-4 kept). Evaluated on RefCOCO (unc) val; set the split to testA / testB for the tests.
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
val_dataloader = dict(dataset=dict(_delete_=True, **_base_.refcoco_val))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='ReferringMetric', metric=('prec@0.5', 'oiou', 'miou'))
test_evaluator = val_evaluator
