# MAE + TBM on the corrupted toy world (TBM's setting in miniature): the corrupted MAE config
# with the TBMs of mae-tbm_vit-toy-p8_1xb32-800it_toyworld.py.
_base_ = './mae_vit-toy-p8_1xb32-800it_toyworld-c.py'

tbm_layers = (1, 3)
tbm_cfg = dict(
    alpha_shape='channel', alpha_init=0.1, ae_hidden=32, form='noisier2noise',
    eval_mode='no_noise')
model = dict(backbone=dict(type='mmvl.TBMViT', tbm_layers=tbm_layers, tbm_cfg=tbm_cfg))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'alpha': dict(decay_mult=0.)}))
