# Toy-world object-centric images without labels, as two pixel-shifted views (CMAE Sec. 3.3).
# The paper's sizes scaled by 64 / 224: master crop 256 -> 73 px (64 * 256 / 224 = 73.1), view
# 224 -> 64 px, largest shift 31 -> 9 px (31 * 64 / 224 = 8.9; 64 + 9 = 73 fits the master),
# blur sigma (0.1, 2.0) -> (0.03, 0.57). crop_ratio_range (0.4, 1.0) as the toy MAE config.
# Images stay in the loader's BGR order here and the data preprocessor turns them to RGB.
data_root = 'data/toyworld/imagenet/'
view_size = 64
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
        target_transforms=[
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
                channel_weights=(0.114, 0.587, 0.2989)),  # B, G, R luminance weights
            dict(
                type='mmpretrain.GaussianBlur',
                magnitude_range=(0.1 * view_size / 224, 2.0 * view_size / 224),
                magnitude_std='inf',
                prob=0.5),
        ]),
    dict(
        type='mmpretrain.PackInputs',
        meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'flip',
                   'flip_direction', 'shift_offset')),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='mmpretrain.CustomDataset',
        data_root=data_root,
        data_prefix='train/',
        with_label=False,  # labels are not read: self-supervised
        pipeline=train_pipeline))
