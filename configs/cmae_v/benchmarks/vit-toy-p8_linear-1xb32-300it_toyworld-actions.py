# Linear probe of a pre-trained toy video ViT on the toy-world action clips, read as frame
# folders with the Something-Something V2 rawframe list: frozen encoder (mean-pooled,
# LayerNorm without learnt affine), one linear layer trained; 2 clips x 3 crops at test.
_base_ = ['./vit-toy-p8_1xb16-300it_toyworld-actions.py']
_rawframes = dict(
    type='RawframeDataset',
    ann_file='sthv2_train_list_rawframes.txt',
    data_prefix=dict(img='rawframes/'),
    _delete_=True,
    data_root='data/toyworld/video/actions/',
    num_classes=8)
train_pipeline = [
    dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=1),
    dict(type='RawFrameDecode'),
    dict(type='VideoRandomResizedCrop', size=64, scale=(0.5, 1.0)),
    dict(type='PackVideoInputs', mode='views'),
]
test_pipeline = [
    dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=2, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='VideoResize', short_side=72),
    dict(type='VideoThreeCrop', size=64),
    dict(type='PackVideoInputs', mode='views'),
]
train_dataloader = dict(batch_size=32, dataset=dict(_rawframes, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _rawframes,
        ann_file='sthv2_val_list_rawframes.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(
    backbone=dict(frozen=True, drop_path_rate=0.),
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.0))
auto_scale_lr = dict(base_batch_size=32)
