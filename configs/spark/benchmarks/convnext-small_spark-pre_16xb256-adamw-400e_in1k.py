# ImageNet-1k fine-tuning of a SparK ConvNeXt-S, the authors' recipe for convnext_small:
# batch 4096 (16 x 256), 400 epochs (20 warm-up), AdamW at 2e-4 x 4096 / 256, layer decay 0.7
# (mmpretrain ConvNeXt.get_layer_depth), weight decay 0.01, soft-target CE with label smoothing
# 0.1, mixup 0.8 / cutmix 1, repeated augmentation 3, drop path 0.3, EMA 0.9999.
_base_ = ['./resnet50_spark-pre_8xb256-lamb-300e_in1k.py']
max_epochs = 400
warmup_epochs = 20
train_dataloader = dict(sampler=dict(type='mmpretrain.RepeatAugSampler', num_repeats=3,
                                     shuffle=True))
model = dict(
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/spark_convnext-small_8xb512-lamb-1600e_in1k/epoch_1600.pth',
            prefix='backbone.')),
    neck=None,
    head=dict(
        in_channels=768,
        loss=dict(_delete_=True, type='LabelSmoothLoss', label_smooth_val=0.1,
                  mode='original'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02, bias=0.)),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=2e-4 * 4096 / 256, betas=(0.9, 0.999),
                   weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.005, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min_ratio=1e-3,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=4096)
