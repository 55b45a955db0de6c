# The RES baseline of MCRES's toy-world evidence: the LAVT-style model trained as usual, on
# one training sample per expression (the unit MCRES's virtual sets are drawn from), and
# scored with mask Prec@0.5:0.9, oIoU and mIoU on seen compositions (the `val` expressions, all
# of novelty level 0 w.r.t. `train`) and on novel ones (the `testB` expressions of novelty level
# 1 or 2 w.r.t. `train`: they use a colour-shape pair held out of every training product;
# `testB` also holds level-0 expressions of the same refs, e.g. "the square": left out).
_base_ = ['../lavt/lavt_r18_1xb8-600it_toyworld-refcoco.py']

train_dataloader = dict(dataset=dict(per_sentence=True))

seen = dict(_base_.refs, split='val', per_sentence=True, test_mode=True,
            pipeline=_base_.test_pipeline, novelty=dict(seen_split='train', levels=(0, )))
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
