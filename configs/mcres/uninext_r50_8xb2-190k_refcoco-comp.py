# The RES baseline of MCRES at paper scale: UNINEXT R50 (the single-task REC/RES recipe of
# configs/uninext/uninext_r50_8xb2-190k_refcoco-mixed.py) trained on the train split of a
# compositional re-split of RefCOCO (unc), one sample per expression, validated on its seen
# `val` split (for choosing hyper-parameters) and tested on `test_seen` and `test_novel` with
# mask Prec@0.5:0.9, oIoU and mIoU. Make the split from the refer-API file with
#   python tools/dataset_converters/compositional_split.py data/coco/refcoco/refs(unc).p \
#       --novel-ratio 0.1 --seen-ratio 0.1 --val-ratio 0.05 --seed 0
# which writes data/coco/refcoco/refs(unc-comp).p. MCRES's own splits are not public; the
# schedule is UNINEXT's (MCRES trains each base model with its own recipe).
_base_ = ['../uninext/uninext_r50_8xb2-190k_refcoco-mixed.py']
comp = dict(_base_.ref_common, ann_file='refcoco/instances.json',
            split_file='refcoco/refs(unc-comp).p')
train_dataloader = dict(
    dataset=dict(_delete_=True, **comp, split='train', per_sentence=True,
                 pipeline=_base_.ref_train_pipeline))
res_test = dict(comp, per_sentence=True, test_mode=True, pipeline=_base_.ref_test_pipeline)
res_metric = dict(
    type='ReferringMetric',
    metric=('prec@0.5', 'prec@0.6', 'prec@0.7', 'prec@0.8', 'prec@0.9', 'oiou', 'miou'),
    prec_on='mask')
val_dataloader = dict(dataset=dict(_delete_=True, **res_test, split='val'))
val_evaluator = dict(_delete_=True, **res_metric)
test_dataloader = dict(
    dataset=dict(_delete_=True, type='mmdet.ConcatDataset', datasets=[
        dict(res_test, split='test_seen'),
        dict(res_test, split='test_novel')]))
test_evaluator = dict(
    _delete_=True,
    type='mmdet.MultiDatasetsEvaluator',
    metrics=[res_metric, res_metric],
    dataset_prefixes=['seen', 'novel'])
