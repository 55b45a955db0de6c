# MCL's COCO transfer: Mask R-CNN R50-FPN with a 4conv1fc box head, SyncBN everywhere, all
# stages trained, multi-scale training (short side 640-800), 1x schedule. It is mmpretrain's
# configs/byol/benchmarks/mask-rcnn_r50_fpn_ms-1x_coco.py (the detectron2
# coco_R_50_FPN_CONV_1x_moco.yaml protocol the authors use), loading backbone, FPN and box-head
# convs from an MCL checkpoint converted with
#   python tools/model_converters/mcl_to_mmdet.py <mcl.pth> <mcl_mmdet.pth> --source official
# (or --source mmvl for an mmvl run). Paper: 42.5 box AP / 38.3 mask AP (100-epoch MCL).
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    '../../_base_/default_runtime.py',
]
checkpoint = 'work_dirs/mcl_r50_mmdet.pth'  # the converter's output
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    _scope_='mmdet',
    backbone=dict(frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, init_cfg=None),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)),
    # backbone., neck. and roi_head.bbox_head.shared_convs. come from the MCL checkpoint; the
    # rest keeps its fresh init (loaded after the init of every sub-module)
    init_cfg=dict(type='Pretrained', checkpoint=checkpoint))

# The `mmdet::` bases carry `_scope_='mmdet'` on every typed dict (mmengine adds it), so the
# datasets, their transforms, the batch sampler and the metric resolve in mmdet.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=16)  # 8 GPUs x 2 images, lr 0.02
