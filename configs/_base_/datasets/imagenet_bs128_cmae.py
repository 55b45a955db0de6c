# ImageNet-1k train images as CMAE's pixel-shifted view pairs (Sec. 3.3; the authors'
# CMAEDataset): a 256-px master crop (scale 0.2-1, bicubic) and flip, the online view at (0, 0),
# the target view at a random (dy, dx) in [0, 31]^2 with colour jitter (p 0.8), grey (p 0.2) and
# blur (p 0.5) on the target only. mmvl decodes BGR; the authors' ops ran on RGB images, so the
# grey weights are reordered to give the authors' 0.114 R + 0.587 G + 0.2989 B.
data_root = 'data/imagenet/'
target_transforms = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.2989, 0.587, 0.114)),  # on B, G, R
    dict(
        type='mmpretrain.GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=256,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(
        type='PixelShiftTwoView',
        crop_size=224,
        max_shift=31,
        target_transforms=target_transforms),
    dict(
        type='mmpretrain.PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'flip',
                   'flip_direction', 'shift_offset')),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.ImageNet',
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
