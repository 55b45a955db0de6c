# Fine-tune CMAE-V ViT-B on Kinetics-400 (VideoMAE's recipe, assumed for CMAE-V): 16 x 4
# clips, mean pooling + LayerNorm, drop path 0.1, AdamW lr 1e-3 (batch 8 x 64 = 512), layer
# decay 0.75, wd 0.05, 75 epochs with 5 warm-up; RandAugment (m7, n4, mstd 0.5, increasing,
# one draw per clip), random resized crop, flip, random erasing 0.25 (one box per clip),
# Mixup 0.8 / CutMix 1.0 (one of the two per batch), label smoothing 0.1; test with 2 clips
# x 3 crops (short side 224), softmax scores averaged; top-1 / top-5.
# Not reproduced: VideoMAE's repeated augmentation (2 samples of each video per batch).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/datasets/video_finetune_augments.py',
]
data_root = 'data/kinetics400/'
clip_len = 16
frame_interval = 4
num_classes = 400
model = dict(
    type='VideoRecognizer',
    data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    backbone=dict(
        type='VideoViT',
        arch='base',
        img_size=224,
        num_frames=clip_len,
        patch_size=16,
        tubelet_size=2,
        final_norm=False,
        out_type='avg_featmap',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    head=dict(
        type='mmpretrain.LinearClsHead',
        _scope_='mmpretrain',
        num_classes=num_classes,
        in_channels=768,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]),
    average_clips='prob',
    train_cfg={{_base_.video_mix}})
train_pipeline = [
    dict(type='PyAVInit'),
    dict(type='SampleFrames', clip_len=clip_len, frame_interval=frame_interval, num_clips=1),
    dict(type='PyAVDecode'),
    {{_base_.video_rand_augment}},
    dict(type='VideoRandomResizedCrop', size=224, scale=(0.08, 1.0)),
    dict(type='VideoFlip', flip_ratio=0.5),
    {{_base_.video_random_erasing}},
    dict(type='PackVideoInputs', mode='views'),
]
test_pipeline = [
    dict(type='PyAVInit'),
    dict(
        type='SampleFrames',
        clip_len=clip_len,
        frame_interval=frame_interval,
        num_clips=2,
        test_mode=True),
    dict(type='PyAVDecode'),
    dict(type='VideoResize', short_side=224),
    dict(type='VideoThreeCrop', size=224),
    dict(type='PackVideoInputs', mode='views'),
]
_dataset = dict(
    type='VideoDataset', data_root=data_root, num_classes=num_classes)
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        _dataset,
        ann_file='kinetics400_train_list_videos.txt',
        data_prefix=dict(video='videos_train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        _dataset,
        ann_file='kinetics400_val_list_videos.txt',
        data_prefix=dict(video='videos_val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

max_epochs = 75
warmup_epochs = 5
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
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
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=512)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=True, max_keep_ckpts=3,
                    save_best='auto'))
log_processor = dict(by_epoch=True)
