# Toy-world object images (labels unused) as the two asymmetric BYOL views that MoCo v3 and MCL
# draw (mmpretrain's `imagenet_bs512_mocov3.py` pipelines), at 128 px. View 1: Gaussian blur
# always, no solarisation; view 2: blur with p 0.1, solarisation with p 0.2. The crop scale
# (0.2, 1), colour jitter (0.4, 0.4, 0.2, 0.1) with p 0.8 and grayscale p 0.2 are the paper
# values. A config picks the number of views of each kind in `MultiView(num_views=...)`.
_base_ = ['./toyworld_shapes_mae.py']  # the unlabelled images and their loader
img_scale = 128
data_preprocessor = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
view_common_head = [
    dict(
        type='mmpretrain.RandomResizedCrop',
        scale=img_scale,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='mmpretrain.RandomApply',
        transforms=[
            dict(
                type='mmpretrain.ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.2,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='mmpretrain.RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
]
view_pipeline1 = view_common_head + [
    dict(type='mmpretrain.GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf',
         prob=1.),
    dict(type='mmpretrain.Solarize', thr=128, prob=0.),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
]
view_pipeline2 = view_common_head + [
    dict(type='mmpretrain.GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf',
         prob=0.1),
    dict(type='mmpretrain.Solarize', thr=128, prob=0.2),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.MultiView', num_views=[1, 1],
         transforms=[view_pipeline1, view_pipeline2]),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
