# CMAE ViT-B/16 pre-training, 300 epochs, the authors' recipe
# (configs/pre-training/cmae/cmae_vit-base-p16_32xb128-coslr-300e_in1k.py): 32 GPUs x 128 images
# (batch 4096), AdamW lr 1.5e-4 x 4096 / 256 = 2.4e-3, betas (0.9, 0.95), weight decay 0.05 (none
# on norms, biases, position embeddings, mask and cls tokens), 40 warm-up epochs from 1e-4 x lr,
# cosine to 0, AMP with a dynamic loss scale, the target updated after each step.
_base_ = [
    '../_base_/models/cmae_vit-base-p16.py',
    '../_base_/datasets/imagenet_bs128_cmae.py',
    '../_base_/default_runtime.py',
]
images_per_gpu = 128
num_gpus = 32
max_epochs = 300
warmup_epochs = 40
train_dataloader = dict(batch_size=images_per_gpu)
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW', lr=1.5e-4 * images_per_gpu * num_gpus / 256, betas=(0.9, 0.95),
        weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
custom_hooks = [dict(type='TargetUpdateHook')]
auto_scale_lr = dict(base_batch_size=images_per_gpu * num_gpus)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=10, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
# the authors' seed, different on each rank
randomness = dict(seed=60, diff_rank_seed=True)
