# COCO captions (train2014 + val2014) and Visual Genome region descriptions as image-text
# pairs, one caption per sample (`group_size=k` on the datasets gives k captions of an image
# per sample, `texts`): SOHO's pre-training data (its `coco_cap_{train,val}_pre.json` and
# `vg_cap_pre.json`); Pixel-BERT uses the same sources. Images resized keeping the ratio to
# long <= 1000 / short <= 600 (SOHO) and padded to 1024 x 1024; the models build the padding
# mask from each image's real size (`img_shape`).
img_scale = (1000, 600)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.Pad', size=(1024, 1024)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'texts'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
coco = dict(type='COCOCaptionPretrain', data_root='data/coco/', data_prefix='',
            pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(**coco, ann_file='annotations/captions_train2014.json'),
        dict(**coco, ann_file='annotations/captions_val2014.json'),
        dict(type='VGRegionCaptionPretrain', data_root='data/vg/', data_prefix='images',
             ann_file='region_descriptions.json', pipeline=train_pipeline),
    ]))
