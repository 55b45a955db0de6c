# Linear probe on the corrupted toy world: configs/mae/benchmarks/vit-toy-p8_linear-1xb64-300it_
# toyworld.py with the train and val images corrupted once each (the corruption of the
# pre-training config mae_vit-toy-p8_1xb32-800it_toyworld-c.py), loading that run's backbone.
_base_ = '../../mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py'

corruption = dict(type='mmvl.ImageCorruption', corruption='gaussian_noise', severity=5, seed=0)
model = dict(
    backbone=dict(
        init_cfg=dict(
            checkpoint='work_dirs/mae_vit-toy-p8_1xb32-800it_toyworld-c/iter_800.pth')))
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        corruption,
        dict(type='mmpretrain.RandomResizedCrop', scale=64, crop_ratio_range=(0.6, 1.0)),
        dict(type='mmpretrain.RandomFlip', prob=0.5),
        dict(type='mmpretrain.PackInputs'),
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        corruption,
        dict(type='mmpretrain.ResizeEdge', scale=64, edge='short'),
        dict(type='mmpretrain.CenterCrop', crop_size=64),
        dict(type='mmpretrain.PackInputs'),
    ]))
test_dataloader = val_dataloader
