# Pixel-BERT retrieval fine-tuning on Flickr30K (Sec. 4.2): each image with its caption and 20
# random negative captions, softmax CE over the ITM scores with only the 5 hardest negatives
# back-propagated; only the Transformer is trained (CNN frozen), AdamW 1e-4 / wd 1e-2;
# 8 GPUs x 64; 10 epochs, x0.1 at 6. Test: every image x caption pair of the 1K test split.
_base_ = ['../_base_/default_runtime.py']
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
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'], meta_keys=meta_keys),
]
test_pipeline = train_pipeline[:-1] + [
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'gt_text_id', 'gt_image_id'],
         meta_keys=meta_keys)
]
karpathy = dict(type='KarpathyRetrieval', data_root='data/flickr30k/', data_prefix='images',
                ann_file='dataset_flickr30k.json')
train_dataloader = dict(
    batch_size=64, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True), collate_fn=dict(type='default_collate'),
    dataset=dict(**karpathy, split='train', pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=16, num_workers=4, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), collate_fn=dict(type='default_collate'),
    dataset=dict(**karpathy, split='test', test_mode=True, pipeline=test_pipeline))
val_dataloader = test_dataloader
val_evaluator = dict(type='VLRetrievalRecall', topk=(1, 5, 10))
test_evaluator = val_evaluator
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=10)
val_cfg = dict(type='mmpretrain.RetrievalValLoop')
test_cfg = dict(type='mmpretrain.RetrievalTestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
                     clip_grad=dict(max_norm=10.0))
param_scheduler = [dict(type='MultiStepLR', milestones=[6], gamma=0.1, by_epoch=True)]
default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True))
log_processor = dict(by_epoch=True)
