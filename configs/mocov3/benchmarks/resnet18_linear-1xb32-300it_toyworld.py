# Linear probe of the toy MoCo v3 ResNet-18 on toy-world shape classification (128 px), from the
# backbone that `python tools/train.py configs/mocov3/mocov3_resnet18_1xb32-400it_toyworld.py`
# writes (the protocol: configs/benchmarks/resnet18_linear-1xb32-300it_toyworld.py).
_base_ = ['../../benchmarks/resnet18_linear-1xb32-300it_toyworld.py']
checkpoint = 'work_dirs/mocov3_resnet18_1xb32-400it_toyworld/iter_400.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=checkpoint)))
