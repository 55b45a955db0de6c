# SparK ConvNeXt-B: the ConvNeXt-S recipe with drop path 0.3 (the authors' default). Its
# deepest width 1024 differs from the decoder's 768, so that level gets a 1x1 projection.
_base_ = ['./spark_convnext-small_8xb512-lamb-1600e_in1k.py']
model = dict(backbone=dict(arch='base', drop_path_rate=0.3))
