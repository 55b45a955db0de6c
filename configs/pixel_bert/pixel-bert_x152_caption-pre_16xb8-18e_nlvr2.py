# Pixel-BERT NLVR2 fine-tuning, "pair" setting (Sec. 4.2): (image 0, statement) and (image 1,
# statement) through the encoder, the two [CLS] concatenated -> MLP -> 2 classes, CE; as VQA
# but batch 128 (16 GPUs x 8). dev 76.5 / test-P 77.2 in the paper. Data: the official NLVR2
# layout of configs/_base_/datasets/nlvr2.py.
_base_ = [
    '../_base_/datasets/nlvr2.py', '../_base_/schedules/grid_vl_adamw-sgd_40e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/pixel-bert_x152_64xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    type='GridVLNLVR2',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNeXt', depth=152, groups=32, width_per_group=8,
                      out_indices=(3, )),
        in_channels=2048,
        text_model='bert-base-uncased',
        visual_embed='type',
        max_text_len=40),
    head=dict(type='NLVR2PairHead', hidden_channels=2 * 768),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
# ResNeXt-152 inputs as in pre-training (Sec. 4.1): each image resized keeping its ratio to
# short side 600 / long side <= 1000; the preprocessor pads a batch's images to one size and
# GridVLNLVR2 masks each image's padding from its own img_shape.
pipeline = [
    dict(type='mmpretrain.ApplyToList', scatter_key='img_path',
         transforms=[dict(type='LoadImageFromFile'),
                     dict(type='Resize', scale=(1000, 600), keep_ratio=True)],
         collate_keys=['img', 'img_shape', 'scale_factor', 'ori_shape']),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['sample_idx', 'img_path', 'img_shape', 'ori_shape']),
]
train_dataloader = dict(dataset=dict(pipeline=pipeline))
val_dataloader = dict(dataset=dict(pipeline=pipeline))
test_dataloader = dict(dataset=dict(pipeline=pipeline))
train_cfg = dict(max_epochs=18, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    cnn=dict(optimizer=dict(weight_decay=5e-4), accumulative_counts=1),
    transformer=dict(accumulative_counts=1))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', milestones=[12, 16], gamma=0.1, by_epoch=True),
]
default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True))
log_processor = dict(by_epoch=True)
