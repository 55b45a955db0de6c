# Linear probe of a (pre-trained) toy ViT on toy-world shape classification.
# By default it loads the backbone that
#   python tools/train.py configs/mae/mae_vit-toy-p8_1xb32-800it_toyworld.py
# writes; other weights with --cfg-options model.backbone.init_cfg.checkpoint=PATH, or none
# (the random-init baseline) with --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../../_base_/models/mae_vit-toy-p8.py',  # for img_size, patch_size, vit_toy
    '../../_base_/datasets/toyworld_shapes_cls.py',
    '../../_base_/schedules/toyworld_iter.py',
    '../../_base_/default_runtime.py',
]
max_iters = 300
model = dict(
    _delete_=True,
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='VisionTransformer',
        arch={{_base_.vit_toy}},
        img_size={{_base_.img_size}},
        patch_size={{_base_.patch_size}},
        frozen_stages=4,  # every layer: a linear probe trains the head only
        out_type='avg_featmap',
        final_norm=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/mae_vit-toy-p8_1xb32-800it_toyworld/iter_800.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.0), clip_grad=None)
param_scheduler = [
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min_ratio=0.01)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
