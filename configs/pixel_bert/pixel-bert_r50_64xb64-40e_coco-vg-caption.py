# Pixel-BERT pre-training (arXiv 2004.00849, Sec. 4.1): ImageNet ResNet-50 trained end to end,
# extra 2x2 max-pool (stride 64), projection to 768 + a visual type vector, 100 randomly
# sampled pixel features per image, 12-layer BERT-base; MLM + ITM. SGD lr 1e-2 / wd 5e-4 for
# the CNN, AdamW lr 1e-4 / wd 1e-2 for the Transformer; 64 GPUs x 64 pairs = 4,096; 40 epochs,
# x0.1 at 25 and 35; images short side 800, long <= 1333.
# Data: the paper pre-trains on COCO train + restval (Karpathy) and VG, so the COCO Karpathy
# val / test images (the retrieval test images) are dropped from both COCO files and, through
# VG's image_data.json (coco_id), from VG. Paths are relative to each data_root:
# data/coco/annotations/dataset_coco.json, data/vg/image_data.json.
_base_ = [
    '../_base_/datasets/coco-vg_caption_grid-vl.py',
    '../_base_/schedules/grid_vl_adamw-sgd_40e.py', '../_base_/default_runtime.py'
]
model = dict(
    type='PixelBERTPretrainer',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=50, out_indices=(3, ),
                      init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
        in_channels=2048,
        text_model='bert-base-uncased',
        visual_embed='type',
        max_text_len=40),
    itm_head=dict(type='ITMHead'),
    pixel_sampler=dict(type='PixelSampler', num_samples=100),
    mlm_masker=dict(type='WholeWordMasker', mask_prob=0.15))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.Pad', size=(1344, 1344)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
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
optim_wrapper = dict(
    cnn=dict(optimizer=dict(weight_decay=5e-4), accumulative_counts=1),
    transformer=dict(accumulative_counts=1))
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=True))
log_processor = dict(by_epoch=True)
