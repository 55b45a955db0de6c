# Pixel-BERT pre-training with ResNeXt-152 (mmpretrain ResNeXt, depth 152 = [3, 8, 36, 3]
# bottlenecks; 32 groups x 8 channels, the common "ResNeXt-152 32x8d" is our guess: the paper
# does not give the cardinality), images short side 600, long <= 1000.
_base_ = ['./pixel-bert_r50_64xb64-40e_coco-vg-caption.py']
model = dict(encoder=dict(backbone=dict(
    _delete_=True, type='mmpretrain.ResNeXt', depth=152, groups=32, width_per_group=8,
    out_indices=(3, ))))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmdet.Pad', size=(1024, 1024)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
# the same Karpathy val / test exclusion as the R-50 config
train_dataloader = dict(dataset=dict(datasets=[
    dict(type='COCOCaptionPretrain', data_root='data/coco/', data_prefix='',
         ann_file='annotations/captions_train2014.json', pipeline=train_pipeline,
         karpathy_exclude='annotations/dataset_coco.json'),
    dict(type='COCOCaptionPretrain', data_root='data/coco/', data_prefix='',
         ann_file='annotations/captions_val2014.json', pipeline=train_pipeline,
         karpathy_exclude='annotations/dataset_coco.json'),
    dict(type='VGRegionCaptionPretrain', data_root='data/vg/', data_prefix='images',
         ann_file='region_descriptions.json', pipeline=train_pipeline,
         image_data='image_data.json',
         karpathy_exclude='../coco/annotations/dataset_coco.json'),
]))
