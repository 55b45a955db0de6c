# Toy fine-tuning with VideoMAE's full Something-Something V2 recipe on the toy-world action
# frame folders (SSv2 rawframe lists): segment sampling (8 segments of the 16-frame clips, one
# random frame each; 2 test views at the segment starts and middles x 3 crops), RandAugment
# (m7, n4, one draw per clip), random erasing 0.25, Mixup 0.8 / CutMix 1.0 and label smoothing
# 0.1 on top of `vit-toy-p8_1xb16-300it_toyworld-actions.py`. No flip: left and right are
# classes.
_base_ = [
    './vit-toy-p8_1xb16-300it_toyworld-actions.py',
    '../../_base_/datasets/video_finetune_augments.py',
]
clip_len = 8
_rawframes = dict(
    type='RawframeDataset',
    ann_file='sthv2_train_list_rawframes.txt',
    data_prefix=dict(img='rawframes/'),
    _delete_=True,
    data_root='data/toyworld/video/actions/',
    num_classes=8)
train_pipeline = [
    dict(type='SegmentSampleFrames', clip_len=clip_len),
    dict(type='RawFrameDecode'),
    {{_base_.video_rand_augment}},
    dict(type='VideoRandomResizedCrop', size=64, scale=(0.5, 1.0)),
    {{_base_.video_random_erasing}},
    dict(type='PackVideoInputs', mode='views'),
]
test_pipeline = [
    dict(type='SegmentSampleFrames', clip_len=clip_len, num_clips=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='VideoResize', short_side=72),
    dict(type='VideoThreeCrop', size=64),
    dict(type='PackVideoInputs', mode='views'),
]
train_dataloader = dict(dataset=dict(_rawframes, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _rawframes,
        ann_file='sthv2_val_list_rawframes.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(train_cfg={{_base_.video_mix}})
