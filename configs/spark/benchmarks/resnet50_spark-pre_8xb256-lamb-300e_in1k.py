# ImageNet-1k fine-tuning of a SparK ResNet-50, the authors' downstream_imagenet recipe for
# resnet50: batch 2048 (8 x 256), 300 epochs (5 warm-up), LAMB at 0.002 x 2048 / 256, layer
# decay 0.7 (mmpretrain's ResNet.get_layer_depth is the authors' rule, tested), weight decay
# 0.02 (none on 1-D parameters and biases), BCE with label smoothing 0.1, mixup 0.1 / cutmix 1,
# drop path 0.05, EMA 0.9999, SyncBN.
_base_ = [
    '../../_base_/datasets/imagenet_bs256_spark-ft.py',
    '../../_base_/default_runtime.py',
]
max_epochs = 300
warmup_epochs = 5
model = dict(
    type='mmpretrain.ImageClassifier',
    _scope_='mmpretrain',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='ResNet',
        depth=50,
        norm_cfg=dict(type='SyncBN'),
        drop_path_rate=0.05,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/spark_resnet50_8xb512-lamb-1600e_in1k/epoch_1600.pth',
            prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, use_sigmoid=True)),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.1), dict(type='CutMix', alpha=1.0)]))
optim_wrapper = dict(
    # the authors' timm Lamb(max_grad_norm=1e7, always_adapt=True, bias_correction=False)
    optimizer=dict(type='mmpretrain.Lamb', lr=0.002 * 2048 / 256, weight_decay=0.02,
                   max_grad_norm=1e7, always_adapt=True, bias_correction=False),
    constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.7, norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.005, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min_ratio=1e-3,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True, max_keep_ckpts=2))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0, diff_rank_seed=True)
auto_scale_lr = dict(base_batch_size=2048)
