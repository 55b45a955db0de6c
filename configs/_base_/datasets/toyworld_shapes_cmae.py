# Toy-world object-centric images without labels, as CMAE's two pixel-shifted views: the paper
# pipeline (imagenet_bs128_cmae.py, same target-only colour ops) with its sizes scaled by
# 64 / 224: master crop 256 -> 73 px (64 * 256 / 224 = 73.1), views 224 -> 64 px, largest shift
# 31 -> 9 px (31 * 64 / 224 = 8.9; 64 + 9 = 73 fits the master), blur sigma (0.1, 2.0) ->
# (0.03, 0.57). Crop scale (0.4, 1.0) as the toy MAE config.
_base_ = ['./imagenet_bs128_cmae.py']
data_root = 'data/toyworld/imagenet/'
view_size = 64
target_transforms = _base_.target_transforms
target_transforms[2].update(magnitude_range=(0.1 * view_size / 224, 2.0 * view_size / 224))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=73,
        crop_ratio_range=(0.4, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(
        type='PixelShiftTwoView',
        crop_size=view_size,
        max_shift=9,
        target_transforms=target_transforms),
    _base_.train_pipeline[-1],  # PackInputs, keeping shift_offset
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='mmpretrain.CustomDataset',
        data_root=data_root,
        data_prefix='train/',
        with_label=False,  # labels are not read: self-supervised
        pipeline=train_pipeline))
