# Rich-region detector of arXiv 1910.13077 §2 with the deeper backbone: ResNeXt-152. mmdet's
# ResNeXt builds depth 152 (stages [3, 8, 36, 3]); the paper does not give its cardinality,
# so we take 32x8d, the ResNeXt-152 of Detectron's X-152-32x8d-IN5k (widely used for VQA
# region/grid features). mmdet ships no ImageNet weights for it: convert Detectron's or train
# longer from scratch (init_cfg left empty).
_base_ = './faster-rcnn-attr_x101-64x4d_fpn_ms-2x_vg.py'

model = dict(
    backbone=dict(
        type='ResNeXt',
        depth=152,
        groups=32,
        base_width=8,
        init_cfg=None))
