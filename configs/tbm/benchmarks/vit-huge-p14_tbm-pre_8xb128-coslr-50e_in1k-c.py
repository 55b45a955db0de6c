# Fine-tuning of the MAE + TBM ViT-H/14 on corrupted ImageNet (train and val images corrupted
# like the pre-training data, configs/_base_/datasets/imagenet-c_bs512_mae.py), with the TBMs
# kept (TBMVisionTransformer; noise in training, none at evaluation). mmpretrain's MAE ViT-H
# fine-tuning recipe (mae/benchmarks/vit-huge-p14_8xb128-coslr-50e_in1k.py): 50 epochs (5
# warm-up), batch 1024, AdamW lr 4e-3, layer decay 0.75, drop path 0.3, RandAugment, random
# erasing 0.25, mixup 0.8 / cutmix 1.0, label smoothing 0.1. For the plain MAE baseline use
# type='VisionTransformer' without the tbm_* arguments. TBM's own fine-tuning recipe could not
# be read (configs/tbm/README.md).
_base_ = '../../_base_/default_runtime.py'

max_epochs = 50
warmup_epochs = 5
data_root = 'data/imagenet/'
corruption = dict(
    type='mmvl.ImageCorruption', corruption='gaussian_noise', severity=[1, 2, 3, 4, 5], seed=0)
corrupted_224 = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=256, edge='short', backend='pillow'),
    dict(type='mmpretrain.CenterCrop', crop_size=224),
    corruption,
]
train_pipeline = corrupted_224 + [
    dict(type='mmpretrain.RandomResizedCrop', scale=224, backend='pillow',
         interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.RandAugment', policies='timm_increasing', num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='mmpretrain.RandomErasing', erase_prob=0.25, mode='rand', min_area_ratio=0.02,
         max_area_ratio=1 / 3, fill_color=[103.53, 116.28, 123.675],
         fill_std=[57.375, 57.12, 58.395]),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = corrupted_224 + [dict(type='mmpretrain.PackInputs')]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='mmpretrain.ImageNet', data_root=data_root, split='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='mmpretrain.ImageNet', data_root=data_root, split='val',
                 pipeline=test_pipeline))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

model = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='mmvl.TBMVisionTransformer',
        tbm_layers=(7, 15, 23, 31),
        tbm_cfg=dict(alpha_shape='channel', alpha_init=0.1, ae_hidden=320,
                     form='noisier2noise', eval_mode='no_noise'),
        arch='huge',
        img_size=224,
        patch_size=14,
        drop_path_rate=0.3,
        out_type='avg_featmap',
        final_norm=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/mae-tbm_vit-huge-p14_8xb512-amp-coslr-1600e_in1k-c/'
            'epoch_1600.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1280,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-3, weight_decay=0.05, betas=(0.9, 0.999)),
    constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.75,
        custom_keys={
            '.ln': dict(decay_mult=0.0),
            '.bias': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0),
            '.pos_embed': dict(decay_mult=0.0),
            '.alpha': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, eta_min=1e-6, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0, diff_rank_seed=True)
auto_scale_lr = dict(base_batch_size=1024)
