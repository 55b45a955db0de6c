# SWORD at paper scale on VOC -> non-VOC: trained class-agnostically on the 20 VOC classes of
# COCO train2017, evaluated on the 60 non-VOC classes of COCO val2017 (OLN's protocol, with
# mmvl.OpenWorldMetric). Paper: ARb100 40.0, ARm100 34.9. Model sizes and schedule follow
# UNINEXT, as SWORD publishes neither (see README.md).
_base_ = [
    '../_base_/models/sword_r50.py',
    '../_base_/datasets/coco_voc2nonvoc_instance.py',
    '../_base_/schedules/sword_24e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(
    checkpoint=dict(by_epoch=True, interval=1),
    visualization=dict(type='mmdet.DetVisualizationHook'))
log_processor = dict(by_epoch=True)
visualizer = dict(type='ClassAgnosticDetLocalVisualizer', name='visualizer')
# The paper reports AR@10 and AR@100 of the top 100 masks per image (test_cfg.max_per_img);
# OLN's larger budgets would all equal AR@100 here.
val_evaluator = dict(proposal_nums=(10, 20, 30, 50, 100))
test_evaluator = val_evaluator
