# Fine-tune the toy video ViT on the toy-world action clips (8 classes), from a CMAE-V or video
# MAE checkpoint (`--cfg-options model.backbone.init_cfg.checkpoint=<pre-training ckpt>`) or
# from scratch (`model.backbone.init_cfg=None`). VideoMAE's fine-tuning recipe, shrunk: mean
# pooling + LayerNorm, drop path 0.1, AdamW with layer decay 0.75, label smoothing 0.1; test
# with 2 clips x 3 crops, top-1 / top-5.
# 300 iterations end inside a from-scratch toy ViT's initial plateau (train loss near ln 8,
# val top-1 near chance); compare initialisations with
# `vit-toy-p8_1xb16-1000it_toyworld-actions.py`.
_base_ = [
    '../../_base_/datasets/toyworld_actions_cls.py',
    '../../_base_/schedules/toyworld_iter.py',
    '../../_base_/default_runtime.py',
]
max_iters = 300
warmup_iters = 30
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
model = dict(
    type='VideoRecognizer',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    backbone=dict(
        type='VideoViT',
        arch=dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
        img_size=64,
        num_frames=8,
        patch_size=8,
        tubelet_size=2,
        final_norm=False,
        out_type='avg_featmap',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    head=dict(
        type='mmpretrain.LinearClsHead',
        _scope_='mmpretrain',
        num_classes=8,
        in_channels=128,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]),
    average_clips='prob')
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=None,
    constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        custom_keys={
            '.ln': dict(decay_mult=0.0),
            '.bias': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters,
        eta_min_ratio=0.01)
]
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(checkpoint=dict(interval=max_iters))
