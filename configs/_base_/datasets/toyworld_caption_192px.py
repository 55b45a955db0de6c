# Toy-world COCO-format captions as image-text pairs for grid-feature VL pre-training (SOHO,
# Pixel-BERT): one caption per sample, images resized to 192 x 192 (a 3 x 3 grid at stride 64).
data_root = 'data/toyworld/'
img_scale = (192, 192)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='COCOCaptionPretrain', data_root=data_root,
                 ann_file='annotations/captions_train.json', data_prefix='',
                 pipeline=train_pipeline))
