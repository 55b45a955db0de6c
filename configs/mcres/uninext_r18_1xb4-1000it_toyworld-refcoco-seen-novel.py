# UNINEXT as a RES model for MCRES's toy-world evidence: the toy UNINEXT trained on the
# referring expressions only, one training sample per expression, scored on seen
# compositions (`val`, novelty level 0 w.r.t. `train`) and novel ones (the `testB`
# expressions of novelty level 1 or 2) with mask Prec@0.5:0.9, oIoU and mIoU.
_base_ = ['../uninext/uninext_r18_1xb4-1000it_toyworld-det-ref.py']

ref_train = dict(_base_.ref_train, per_sentence=True)
train_dataloader = dict(
    sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, **ref_train))

seen = dict(_base_.ref_val, novelty=dict(seen_split='train', levels=(0, )))
novel = dict(seen, split='testB', novelty=dict(seen_split='train', levels=(1, 2)))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='mmdet.ConcatDataset', datasets=[seen, novel]))
test_dataloader = val_dataloader
res_metric = dict(
    type='ReferringMetric',
    metric=('prec@0.5', 'prec@0.6', 'prec@0.7', 'prec@0.8', 'prec@0.9', 'oiou', 'miou'),
    prec_on='mask')
val_evaluator = dict(
    _delete_=True,
    type='mmdet.MultiDatasetsEvaluator',
    metrics=[res_metric, res_metric],
    dataset_prefixes=['seen', 'novel'])
test_evaluator = val_evaluator
