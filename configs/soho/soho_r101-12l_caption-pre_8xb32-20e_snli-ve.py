# SOHO SNLI-VE fine-tuning, paper model ResNet-101 / 12 layers. SOHO reports visual entailment
# (abstract: +6.7 on SNLI-VE test) but released no SNLI-VE code, so this classifies the fused
# [CLS] of (Flickr30K image, hypothesis) into entailment / neutral / contradiction with an MLP
# head (768 -> 1536 -> ReLU -> 3, cross-entropy) and reuses SOHO's released VQA recipe
# (AdamW + SGD, grad clip 4, 20 epochs with x0.1 at 12 and 16). Head and schedule are our
# choices, not the authors'.
_base_ = [
    '../_base_/datasets/snli_ve.py', '../_base_/schedules/grid_vl_adamw-sgd_40e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/soho_r101-12l_8xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    type='GridVLClassifier',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=101, out_indices=(3, ), frozen_stages=1),
        in_channels=2048,
        text_model='bert-base-uncased',
        num_hidden_layers=12,
        visual_embed='sine',
        max_text_len=40),
    head=dict(type='mmpretrain.StackedLinearClsHead', num_classes=3, mid_channels=[2 * 768],
              act_cfg=dict(type='ReLU'),
              loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0)),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmdet.Pad', size=(1024, 1024)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'image_id'],
         meta_keys=['img_path', 'img_shape', 'ori_shape']),
]
collate = dict(type='default_collate')  # fixed-size padded images (see the pipeline)
train_dataloader = dict(batch_size=32, collate_fn=collate, dataset=dict(pipeline=pipeline))
val_dataloader = dict(collate_fn=collate, dataset=dict(pipeline=pipeline))
test_dataloader = dict(collate_fn=collate, dataset=dict(pipeline=pipeline))
train_cfg = dict(max_epochs=20, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(cnn=dict(clip_grad=dict(max_norm=4.0)),
                     transformer=dict(clip_grad=dict(max_norm=4.0)))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', milestones=[12, 16], gamma=0.1, by_epoch=True),
]
default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True))
log_processor = dict(by_epoch=True)
