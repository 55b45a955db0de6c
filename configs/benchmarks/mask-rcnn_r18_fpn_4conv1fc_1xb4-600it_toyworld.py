# Detection transfer benchmark on the toy world in the protocol of MCL's COCO transfer
# (detectron2 coco_R_50_FPN_CONV_1x_moco): the toy Mask R-CNN (ResNet-18, 64-wide FPN, 160 px
# scenes) with BN in the FPN and a 4conv1fc box head with BN, every stage trained. As it stands
# it trains from scratch, the baseline; configs/mcl/benchmarks/ adds MCL's pre-trained backbone,
# FPN and box-head convolutions.
_base_ = ['../mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=64,
            fc_out_channels=256,
            norm_cfg=norm_cfg)))
