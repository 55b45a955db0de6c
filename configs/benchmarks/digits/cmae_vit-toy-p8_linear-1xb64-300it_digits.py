# Linear probe of a CMAE-pre-trained toy ViT on scikit-learn digits: the digits MAE probe (CMAE's
# online encoder has MAE's key names) loading the backbone of
#   python tools/train.py configs/benchmarks/digits/cmae_vit-toy-p8_1xb32-800it_digits.py
_base_ = './vit-toy-p8_linear-1xb64-300it_digits.py'
model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='work_dirs/cmae_vit-toy-p8_1xb32-800it_digits/iter_800.pth')))
