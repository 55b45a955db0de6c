# Linear probe of the MAE + TBM backbone pre-trained on the corrupted toy world, TBMs kept,
# on corrupted train and val images (vit-toy-p8_linear-1xb64-300it_toyworld-c.py + TBMs).
_base_ = './vit-toy-p8_linear-1xb64-300it_toyworld-c.py'

tbm_layers = (1, 3)
tbm_cfg = dict(
    alpha_shape='channel', alpha_init=0.1, ae_hidden=32, form='noisier2noise',
    eval_mode='no_noise')
model = dict(
    backbone=dict(
        type='mmvl.TBMVisionTransformer',
        tbm_layers=tbm_layers,
        tbm_cfg=tbm_cfg,
        init_cfg=dict(
            checkpoint='work_dirs/mae-tbm_vit-toy-p8_1xb32-800it_toyworld-c/iter_800.pth')))
