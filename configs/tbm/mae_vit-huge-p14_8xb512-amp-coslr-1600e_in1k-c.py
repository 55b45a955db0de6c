# MAE ViT-H/14 pre-training on corrupted ImageNet (the paper's encoder; mmpretrain's ViT-H
# recipe: 1600 epochs, batch 4096).
_base_ = './mae_vit-base-p16_8xb512-amp-coslr-800e_in1k-c.py'

max_epochs = 1600
warmup_epochs = 40
model = dict(
    backbone=dict(arch='h', patch_size=14),
    neck=dict(embed_dim=1280, patch_size=14, num_patches=256),
    head=dict(patch_size=14))
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
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
