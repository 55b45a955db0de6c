# The random-initialisation baseline of resnet18_1xb32-300it_toyworld.py: the same ResNet-18,
# data and schedule, no pre-trained weights.
_base_ = ['./resnet18_1xb32-300it_toyworld.py']
model = dict(backbone=dict(init_cfg=None))
