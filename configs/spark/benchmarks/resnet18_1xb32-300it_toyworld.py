# Fine-tune the toy SparK ResNet-18 on toy-world shape classification (128 px), from the
# backbone that `python tools/train.py configs/spark/spark_resnet18_1xb16-600it_toyworld.py`
# writes (the protocol: configs/benchmarks/resnet18_1xb32-300it_toyworld.py).
_base_ = ['../../benchmarks/resnet18_1xb32-300it_toyworld.py']
checkpoint = 'work_dirs/spark_resnet18_1xb16-600it_toyworld/iter_600.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=checkpoint)))
