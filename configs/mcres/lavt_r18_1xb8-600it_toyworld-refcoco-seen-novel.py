# The RES baseline of MCRES's toy-world evidence: the LAVT-style model trained as usual, on
# one training sample per expression (the unit MCRES's virtual sets are drawn from), and
# scored on seen compositions (`val`) and on novel ones (`testB`: the val refs that use a
# colour-shape pair held out of every training product) with mask Prec@0.5:0.9, oIoU and mIoU.
_base_ = ['../lavt/lavt_r18_1xb8-600it_toyworld-refcoco.py']

train_dataloader = dict(dataset=dict(per_sentence=True))

seen = dict(_base_.refs, split='val', per_sentence=True, test_mode=True,
            pipeline=_base_.test_pipeline)
novel = dict(seen, split='testB')
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
