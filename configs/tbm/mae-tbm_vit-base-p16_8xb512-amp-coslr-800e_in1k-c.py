# MAE + TBM, ViT-B/16, on corrupted ImageNet: the MAE baseline with TBMs after encoder layers 3,
# 6, 9 and 12 (of 12). Choices: configs/tbm/README.md.
_base_ = './mae_vit-base-p16_8xb512-amp-coslr-800e_in1k-c.py'

tbm_cfg = dict(
    alpha_shape='channel', alpha_init=0.1, ae_hidden=192, form='noisier2noise',
    eval_mode='no_noise')
model = dict(
    backbone=dict(type='mmvl.TBMViT', tbm_layers=(2, 5, 8, 11), tbm_cfg=tbm_cfg))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'alpha': dict(decay_mult=0.)}))
