# Rich-region detector of arXiv 1910.13077 §2: Faster R-CNN with a ResNeXt-101 64x4d FPN
# backbone, multi-scale training, trained on Visual Genome's 1,600 objects with the
# bottom-up-attention attribute branch (400 attributes + "no attribute"). The box head's shared
# fcs are 2048 wide, so the dumped fc7 region features are 2048-d like BUTD's. Schedule and
# scales are not given by the paper: mmdet's 2x (24 epochs, SGD 0.02, batch 16 = 8 GPUs x 2).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/schedules/schedule_2x.py',
    '../_base_/datasets/visual_genome_det.py',
    '../_base_/default_runtime.py',
]
num_classes = 1600
num_attributes = 400

model = dict(
    _scope_='mmdet',
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=64,
        base_width=4,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')),
    roi_head=dict(
        type='mmvl.AttributeRoIHead',
        bbox_head=dict(
            type='mmvl.AttributeBBoxHead',
            fc_out_channels=2048,
            num_classes=num_classes,
            num_attributes=num_attributes,
            cls_embed_dim=256,
            attr_hidden_channels=512,
            loss_attr_weight=0.5,
            no_attribute_target=True)),
    # BUTD's extractor keeps up to 100 regions of the RPN's proposals per image
    test_cfg=dict(rpn=dict(nms_pre=6000, max_per_img=300), rcnn=dict(max_per_img=100)))

default_hooks = dict(
    checkpoint=dict(by_epoch=True, interval=1),
    visualization=dict(type='mmdet.DetVisualizationHook'))
log_processor = dict(by_epoch=True)
visualizer = dict(type='mmdet.DetLocalVisualizer', name='visualizer')
auto_scale_lr = dict(enable=False, base_batch_size=16)
