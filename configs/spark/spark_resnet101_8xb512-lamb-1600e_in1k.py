# SparK ResNet-101: the ResNet-50 recipe with drop path 0.08 (the authors' default).
_base_ = ['./spark_resnet50_8xb512-lamb-1600e_in1k.py']
model = dict(backbone=dict(depth=101, drop_path_rate=0.08))
