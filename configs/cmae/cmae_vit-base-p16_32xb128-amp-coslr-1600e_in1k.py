# CMAE ViT-B/16 pre-training, 1600 epochs (the authors' 32xb128-coslr-1600e config): the 300-epoch
# recipe with the cosine phase stretched; warm-up stays 40 epochs.
_base_ = ['./cmae_vit-base-p16_32xb128-amp-coslr-300e_in1k.py']
max_epochs = 1600
warmup_epochs = 40
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, by_epoch=True,
         begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
