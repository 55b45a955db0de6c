# Fine-tune CMAE-V ViT-B on Something-Something V2 (frame folders) as VideoMAE does: 16
# frames by segment sampling (one frame from each of 16 equal segments, random in training),
# no flip, 40 epochs, the Kinetics recipe's RandAugment, random erasing, Mixup / CutMix and
# label smoothing; test with 2 clips (segment starts and middles) x 3 crops.
_base_ = ['./vit-base-p16_cmae-v-pre_16x4x1_kinetics-400.py']
data_root = 'data/sthv2/'
num_classes = 174
model = dict(head=dict(num_classes=num_classes))
train_pipeline = [
    dict(type='SegmentSampleFrames', clip_len=16),
    dict(type='RawFrameDecode'),
    {{_base_.video_rand_augment}},
    dict(type='VideoRandomResizedCrop', size=224, scale=(0.08, 1.0)),
    {{_base_.video_random_erasing}},
    dict(type='PackVideoInputs', mode='views'),
]
test_pipeline = [
    dict(type='SegmentSampleFrames', clip_len=16, num_clips=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='VideoResize', short_side=224),
    dict(type='VideoThreeCrop', size=224),
    dict(type='PackVideoInputs', mode='views'),
]
_dataset = dict(
    _delete_=True,
    type='RawframeDataset',
    data_root=data_root,
    data_prefix=dict(img='rawframes/'),
    num_classes=num_classes)
train_dataloader = dict(
    dataset=dict(_dataset, ann_file='sthv2_train_list_rawframes.txt', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _dataset,
        ann_file='sthv2_val_list_rawframes.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
max_epochs = 40
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 5,
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=max_epochs,
        convert_to_iter_based=True)
]
