# MAE on a corrupted toy world: the MAE toy config on train images corrupted once each
# (ImageNet-C Gaussian noise, severity 5 at the stored 160 px; about severity 3 after the crop is
# resized to 64 px). The corrupted image is both the encoder's input and MAE's reconstruction
# target, as in TBM's setting (the data itself is corrupted).
_base_ = '../mae/mae_vit-toy-p8_1xb32-800it_toyworld.py'

corruption = dict(type='mmvl.ImageCorruption', corruption='gaussian_noise', severity=5, seed=0)
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        corruption,
        dict(
            type='mmpretrain.RandomResizedCrop',
            scale=64,
            crop_ratio_range=(0.4, 1.0),
            backend='pillow',
            interpolation='bicubic'),
        dict(type='mmpretrain.RandomFlip', prob=0.5),
        dict(type='mmpretrain.PackInputs'),
    ]))
