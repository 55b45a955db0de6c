# CMAE-V ViT-B pre-training on Kinetics-400 (videos, mmaction2 list format), 800 epochs.
# Sampling 16 x 4 (VideoMAE's K400 setting); the target clip starts 0-16 frames after the
# online clip (assumed: the paper does not give the range), same crop, colour augmentation on
# the target only. Batch 16 x 64 = 1024, AdamW lr 1.5e-4 * 1024 / 256, betas (0.9, 0.95),
# wd 0.05, 40 warm-up epochs, cosine (VideoMAE's recipe; assumed for CMAE-V).
_base_ = ['../_base_/models/cmae-v_vit-base-p16.py', '../_base_/default_runtime.py']
data_root = 'data/kinetics400/'
clip_len = 16
frame_interval = 4
train_pipeline = [
    dict(type='PyAVInit'),
    dict(
        type='TemporalShiftTwoClips',
        clip_len=clip_len,
        frame_interval=frame_interval,
        shift_range=(0, 16)),
    dict(type='PyAVDecode'),
    dict(type='VideoRandomResizedCrop', size=224, scale=(0.44, 1.0)),
    dict(type='VideoFlip', flip_ratio=0.5),
    dict(type='ClipColorJitter', clips=(1, )),
    dict(type='PackVideoInputs', mode='clip_list'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VideoDataset',
        data_root=data_root,
        ann_file='kinetics400_train_list_videos.txt',
        data_prefix=dict(video='videos_train/'),
        pipeline=train_pipeline))

max_epochs = 800
warmup_epochs = 40
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1.5e-4 * 1024 / 256, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(base_batch_size=1024)
custom_hooks = [dict(type='TargetUpdateHook')]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=True, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
