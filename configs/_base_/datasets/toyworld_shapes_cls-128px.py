# Toy-world shape classification at 128 px (random-resized crops of the 160 px object images):
# the downstream set for convnets pre-trained at 128 px (SparK's mask grid at stride 32 is 4x4
# there; MCL's montage canvas is 128 px). Same images, labels and metric as the 64 px set.
_base_ = ['./toyworld_shapes_cls.py']
img_scale = 128
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=img_scale, crop_ratio_range=(0.6, 1.0)),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.ResizeEdge', scale=img_scale, edge='short'),
    dict(type='mmpretrain.CenterCrop', crop_size=img_scale),
    dict(type='mmpretrain.PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
