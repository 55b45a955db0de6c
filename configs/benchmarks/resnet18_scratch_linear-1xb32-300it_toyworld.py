# The random-initialisation baseline of resnet18_linear-1xb32-300it_toyworld.py: a linear
# classifier on a frozen, randomly initialised ResNet-18.
_base_ = ['./resnet18_linear-1xb32-300it_toyworld.py']
model = dict(backbone=dict(init_cfg=None))
