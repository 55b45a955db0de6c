# MAE + Token Boosting Modules (TBM, CVPR 2023) on unlabelled toy-world images: the MAE toy
# config (configs/mae/mae_vit-toy-p8_1xb32-800it_toyworld.py) with TBMs after encoder layers 2
# and 4 (of 4), trained only through the MAE loss. Choices: configs/tbm/README.md.
_base_ = '../mae/mae_vit-toy-p8_1xb32-800it_toyworld.py'

tbm_layers = (1, 3)  # 0-based encoder layers whose output is boosted
tbm_cfg = dict(
    alpha_shape='channel',
    alpha_init=0.1,
    ae_hidden=32,  # embed_dims // 4
    form='noisier2noise',  # R = 2 g(I) - I
    eval_mode='no_noise')
model = dict(backbone=dict(type='mmvl.TBMViT', tbm_layers=tbm_layers, tbm_cfg=tbm_cfg))
# no weight decay on the noise scale (it would pull alpha to zero)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'alpha': dict(decay_mult=0.)}))
