# Toy-world action clips (mp4, Kinetics-400-style list) without their labels, for CMAE-V
# pre-training: the temporal-shift pair of 8-frame clips (online at t0, target at t0 + delta,
# delta in 0..4 frames), one shared random crop, colour augmentation on the target clip only.
# No flip: left and right are classes of the downstream task (as in Something-Something V2).
data_root = 'data/toyworld/video/actions/'
clip_len = 8
frame_interval = 1
train_pipeline = [
    dict(type='PyAVInit'),
    dict(
        type='TemporalShiftTwoClips',
        clip_len=clip_len,
        frame_interval=frame_interval,
        shift_range=(0, 4)),
    dict(type='PyAVDecode'),
    dict(type='VideoRandomResizedCrop', size=64, scale=(0.5, 1.0)),
    dict(type='ClipColorJitter', clips=(1, )),
    dict(type='PackVideoInputs', mode='clip_list'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VideoDataset',
        data_root=data_root,
        ann_file='kinetics_train_list_videos.txt',
        data_prefix=dict(video='videos/'),
        pipeline=train_pipeline))
