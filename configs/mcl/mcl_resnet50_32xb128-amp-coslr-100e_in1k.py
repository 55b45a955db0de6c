# MCL pre-training as in the paper and the authors' configs/selfsup/MCL/MCL.py: ResNet-50 + FPN,
# ImageNet-1k train, 100 epochs, 32 GPUs x 128 images (each expanded to 8 views and 2 x 172
# canvases of 224 px), LARS lr 16.0 (1.0 per 256 images), AMP, grad clip 500, warm-up 10
# epochs, cosine to 1e-4, checkpoint every 4 epochs.
_base_ = [
    '../_base_/models/mcl_r50-fpn.py',
    'mmpretrain::_base_/datasets/imagenet_bs32_byol.py',
    '../_base_/default_runtime.py',
]
images_per_gpu = 128
num_gpus = 32
max_epochs = 100
warmup_epochs = 10
lr = 1.0 * images_per_gpu * num_gpus / 256

# mmpretrain's BYOL views (pipeline 1: blur p 1.0, no solarisation; pipeline 2: blur p 0.1,
# solarisation p 0.2), with the authors' crop scale (0.2, 1) and torchvision's default bilinear
# interpolation; 4 views from each
view_pipeline1 = _base_.view_pipeline1
view_pipeline2 = _base_.view_pipeline2
view_pipeline1[0].update(crop_ratio_range=(0.2, 1.), interpolation='bilinear')
view_pipeline2[0].update(crop_ratio_range=(0.2, 1.), interpolation='bilinear')
train_dataloader = dict(
    batch_size=images_per_gpu,
    num_workers=8,
    drop_last=True,  # level 0 needs exactly `images_per_gpu` images
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='MultiView', num_views=[4, 4], transforms=[view_pipeline1, view_pipeline2]),
        dict(type='PackInputs'),
    ]))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='mmpretrain.LARS', lr=lr, momentum=0.9, weight_decay=1e-5),
    clip_grad=dict(max_norm=500),
    # the authors exclude BN layers ('(bn|gn)(\d+)?.(weight|bias)') and every bias from weight
    # decay and LARS adaptation
    paramwise_cfg=dict(custom_keys={
        'bn': dict(decay_mult=0, lars_exclude=True),
        'bias': dict(decay_mult=0, lars_exclude=True),
        # the predictors' BN weights (`mlp.1.weight` there) escape the authors' pattern
        'bn0.weight': dict(decay_mult=1, lars_exclude=False),
    }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-4,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=images_per_gpu * num_gpus)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=4, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
