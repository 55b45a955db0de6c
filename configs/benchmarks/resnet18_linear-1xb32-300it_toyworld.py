# Linear-probe benchmark of a pre-trained ResNet-18 on toy-world shape classification: the
# backbone is frozen (weights and BN statistics) and only the linear classifier trains.
# Weights as in resnet18_1xb32-300it_toyworld.py.
_base_ = ['./resnet18_1xb32-300it_toyworld.py']
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
optim_wrapper = dict(optimizer=dict(lr=1e-2, weight_decay=0.0))
