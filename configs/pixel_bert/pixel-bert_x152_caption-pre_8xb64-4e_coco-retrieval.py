# Pixel-BERT retrieval fine-tuning on COCO (Sec. 4.2): the Flickr30K recipe (each image with its
# caption and 20 random negative captions, softmax CE over the ITM scores, 5 hardest negatives
# back-propagated, Transformer only, AdamW 1e-4 / wd 1e-2) for 4 epochs with x0.1 at epoch 2.
# Karpathy split; the test loader is the 5K test set (COCO 1K: set
# test_dataloader.dataset.fold to 0..4 and average). Images as the Flickr30K config: short side
# 600, padded to 1024 x 1024 (the model masks the padding from img_shape).
_base_ = ['../_base_/datasets/coco_retrieval.py', '../_base_/default_runtime.py']
pretrained = 'work_dirs/pixel-bert_x152_64xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    type='GridVLRetrieval',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNeXt', depth=152, groups=32, width_per_group=8,
                      out_indices=(3, ), frozen_stages=4, norm_eval=True),
        in_channels=2048,
        text_model='bert-base-uncased',
        visual_embed='type',
        max_text_len=40),
    itm_head=dict(type='ITMHead'),
    negative_sampler=dict(type='RetrievalNegativeSampler', num_negatives=20),
    num_hard=5,
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
meta_keys = ['image_id', 'img_shape', 'ori_shape', 'img_path']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmdet.Pad', size=(1024, 1024)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'image_id'], meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmdet.Pad', size=(1024, 1024)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'gt_text_id', 'gt_image_id'],
         meta_keys=meta_keys),
]
train_dataloader = dict(batch_size=64, collate_fn=dict(type='default_collate'),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, collate_fn=dict(type='default_collate'),
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, collate_fn=dict(type='default_collate'),
                       dataset=dict(pipeline=test_pipeline))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4, val_interval=4)
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
                     clip_grad=dict(max_norm=10.0))
param_scheduler = [dict(type='MultiStepLR', milestones=[2], gamma=0.1, by_epoch=True)]
default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True))
log_processor = dict(by_epoch=True)
