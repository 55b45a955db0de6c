# SWORD at paper scale on COCO -> UVO: trained class-agnostically on all 80 COCO classes,
# evaluated on UVO's sparse frames (LDET's split), every object counted. Paper: +5.9 APm and
# +8.1 ARm100 over the previous best open-world model. Model sizes and schedule follow UNINEXT,
# as SWORD publishes neither (see README.md).
_base_ = [
    '../_base_/models/sword_r50.py',
    '../_base_/datasets/coco2uvo_instance.py',
    '../_base_/schedules/sword_24e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(
    checkpoint=dict(by_epoch=True, interval=1),
    visualization=dict(type='mmdet.DetVisualizationHook'))
log_processor = dict(by_epoch=True)
visualizer = dict(type='ClassAgnosticDetLocalVisualizer', name='visualizer')
