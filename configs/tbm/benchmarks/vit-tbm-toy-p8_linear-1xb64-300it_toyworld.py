# Linear probe of an MAE + TBM toy backbone with its TBMs kept (TBMVisionTransformer; frozen,
# in eval mode: no noise, R = 2 g(F) - F). Loads the run of
# configs/tbm/mae-tbm_vit-toy-p8_1xb32-800it_toyworld.py. With type='VisionTransformer' (and
# the same checkpoint) the probe runs without the TBMs instead.
_base_ = '../../mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py'

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
            checkpoint='work_dirs/mae-tbm_vit-toy-p8_1xb32-800it_toyworld/iter_800.pth')))
