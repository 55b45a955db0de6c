# Toy-world action recognition (8 classes, mp4 files with Kinetics-400-style lists): one
# random 8-frame clip and crop for training; 2 clips x 3 crops for testing (K400-style views,
# scores averaged), top-1 / top-5 accuracy. No flip: left and right are classes.
data_root = 'data/toyworld/video/actions/'
clip_len = 8
frame_interval = 1
train_pipeline = [
    dict(type='PyAVInit'),
    dict(type='SampleFrames', clip_len=clip_len, frame_interval=frame_interval, num_clips=1),
    dict(type='PyAVDecode'),
    dict(type='VideoRandomResizedCrop', size=64, scale=(0.5, 1.0)),
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
    dict(type='VideoResize', short_side=72),
    dict(type='VideoThreeCrop', size=64),
    dict(type='PackVideoInputs', mode='views'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VideoDataset',
        data_root=data_root,
        ann_file='kinetics_train_list_videos.txt',
        data_prefix=dict(video='videos/'),
        num_classes=8,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VideoDataset',
        data_root=data_root,
        ann_file='kinetics_val_list_videos.txt',
        data_prefix=dict(video='videos/'),
        num_classes=8,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
