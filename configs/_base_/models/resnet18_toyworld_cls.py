# ResNet-18 classifier for the toy world's 8 shapes, the downstream model of the convnet
# self-supervised methods (SparK, MCL, MoCo v3). The backbone loads a pre-training checkpoint
# with `prefix='backbone.'`, as mmpretrain's benchmark configs do: each method's
# `benchmarks/` config sets `model.backbone.init_cfg.checkpoint`, and
# `--cfg-options model.backbone.init_cfg=None` gives the random-initialisation baseline.
model = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        num_classes=8,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=18,
        out_indices=(3, ),
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=8,
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
