# Baseline instance segmentation on the toy world: mmdet's Mask R-CNN with a ResNet-18 FPN,
# trained from scratch (no download) on 160 px scenes. See README.md for measured numbers.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/toyworld_instance.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
num_classes = 8

model = dict(
    _scope_='mmdet',  # nested parts (RPNHead, RoIAlign, ...) resolve in mmdet
    backbone=dict(
        depth=18,
        frozen_stages=-1,  # from scratch: train every stage and keep BN statistics live
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        # toy objects are 8-80 px: anchors 16-256 px instead of 32-512 px
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=num_classes),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(
            num_convs=2, in_channels=64, conv_out_channels=64, num_classes=num_classes)),
    # at most 6 objects per scene: fewer proposals and sampled RoIs than COCO's 1000 / 512
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300), rcnn=dict(max_per_img=50)))

# `--amp` on the CPU: bf16 autocast for the backbone and FPN only, since mmcv's nms and
# roi_align (used by the RPN and RoI heads) have no bf16 CPU kernels.
cpu_amp_modules = ['backbone', 'neck']

default_hooks = dict(visualization=dict(type='mmdet.DetVisualizationHook'))
visualizer = dict(type='mmdet.DetLocalVisualizer', name='visualizer')
