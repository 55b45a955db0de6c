# CMAE-V with the hybrid encoder (the paper's best results use a hybrid convolution +
# transformer backbone): ConvMAE-style masked-conv stages (32 and 64 channels, one block each,
# strides 2 / 2 / 2 to the 8 px token grid) before the toy transformer; everything else as in
# `cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py`.
_base_ = ['./cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py']
_hybrid = dict(
    type='VideoConvMAEViT', conv_dims=(32, 64), conv_depths=(1, 1), conv_strides=(2, 2, 2))
model = dict(backbone=_hybrid, target_backbone=_hybrid)
