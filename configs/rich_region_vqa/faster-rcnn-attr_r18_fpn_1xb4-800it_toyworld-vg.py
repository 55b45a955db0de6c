# Region detector of the rich-region VQA pipeline on the toy world: Faster R-CNN R18 FPN with
# the bottom-up-attention attribute branch, trained from scratch on the toy world written in
# the Visual Genome layout (8 shapes, 11 attributes = 8 colours + 3 sizes). See README.md.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/toyworld_vg_det.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
num_classes = 8
num_attributes = 11

model = dict(
    _scope_='mmdet',
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64, anchor_generator=dict(scales=[4])),
    roi_head=dict(
        type='mmvl.AttributeRoIHead',
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(
            type='mmvl.AttributeBBoxHead',
            in_channels=64,
            fc_out_channels=256,
            num_classes=num_classes,
            num_attributes=num_attributes,
            cls_embed_dim=32,
            attr_hidden_channels=128,
            loss_attr_weight=0.5)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300), rcnn=dict(max_per_img=50)))

max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=False, begin=50,
         end=max_iters),
]
cpu_amp_modules = ['backbone', 'neck']
