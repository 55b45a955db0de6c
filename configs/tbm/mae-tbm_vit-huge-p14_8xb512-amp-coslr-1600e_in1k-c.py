# MAE + TBM, ViT-H/14 (the paper's encoder), on corrupted ImageNet: TBMs after encoder layers 8,
# 16, 24 and 32 (of 32). Choices: configs/tbm/README.md.
_base_ = './mae_vit-huge-p14_8xb512-amp-coslr-1600e_in1k-c.py'

tbm_cfg = dict(
    alpha_shape='channel', alpha_init=0.1, ae_hidden=320, form='noisier2noise',
    eval_mode='no_noise')
model = dict(
    backbone=dict(type='mmvl.TBMViT', tbm_layers=(7, 15, 23, 31), tbm_cfg=tbm_cfg))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'alpha': dict(decay_mult=0.)}))
