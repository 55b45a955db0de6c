# Image-text pre-training on COCO captions + Visual Genome region captions (SOHO, Pixel-BERT),
# paper scale. COCO images of the Karpathy val / test splits (the retrieval test images) are
# left out of both sets (Pixel-BERT Sec. 4.1: COCO train + restval only).
# data/coco/{train2014,val2014}/, data/coco/annotations/captions_{train,val}2014.json,
# data/coco/annotations/dataset_coco.json; data/vg/images/<id>.jpg (VG_100K + VG_100K_2),
# data/vg/region_descriptions.json, data/vg/image_data.json.
# Images: keep-ratio (1000, 600) as SOHO's pre-training config; Pixel-BERT R50 uses 800 / 1333.
# `group_size=4` gives SOHO's four captions per image and item (entries carry `texts`); the
# pre-training models run the CNN once per image and pair its features with each caption.
# relative paths are joined with each set's data_root
karpathy = 'annotations/dataset_coco.json'
group_size = None
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'texts', 'image_id']),
]
coco_train = dict(
    type='COCOCaptionPretrain',
    data_root='data/coco/',
    ann_file='annotations/captions_train2014.json',
    data_prefix='',
    karpathy_exclude=karpathy,
    group_size=group_size,
    pipeline=train_pipeline)
coco_val = dict(coco_train, ann_file='annotations/captions_val2014.json')
vg = dict(
    type='VGRegionCaptionPretrain',
    data_root='data/vg/',
    ann_file='region_descriptions.json',
    data_prefix='images',
    image_data='image_data.json',
    karpathy_exclude='../coco/' + karpathy,
    group_size=group_size,
    pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', datasets=[coco_train, coco_val, vg]))
