# Toy-world NLVR2 (official jsonl layout): two images and one statement per sample; both
# images resized to 192 x 192 and stacked as B x 2 x 3 x H x W by the preprocessor; each
# image's img_shape is packed for GridVLNLVR2's padding mask.
data_root = 'data/toyworld/'
img_scale = (192, 192)

pipeline = [
    dict(type='mmpretrain.ApplyToList', scatter_key='img_path',
         transforms=[dict(type='LoadImageFromFile'),
                     dict(type='Resize', scale=img_scale, keep_ratio=False)],
         collate_keys=['img', 'img_shape', 'scale_factor', 'ori_shape']),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['img_path', 'img_shape']),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='NLVR2Dataset', data_root=data_root, ann_file='nlvr2/train.json',
                 data_prefix='nlvr2/images/train', pipeline=pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='NLVR2Dataset', data_root=data_root, ann_file='nlvr2/dev.json',
                 data_prefix='nlvr2/images/dev', pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmpretrain.Accuracy')
test_evaluator = val_evaluator
