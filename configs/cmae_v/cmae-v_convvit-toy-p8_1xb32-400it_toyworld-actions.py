# CMAE-V with the hybrid encoder (the paper's best results use a hybrid convolution +
# transformer backbone): ConvMAE-style masked-conv stages (32 and 64 channels, one block each,
# strides 2 / 2 / 2 to the 8 px token grid) before the toy transformer; everything else as in
# `cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py`.
_base_ = ['./cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py']
_hybrid = dict(
    _delete_=True,
    type='VideoConvMAEViT',
    arch=dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
    img_size=64,
    num_frames=8,
    patch_size=8,
    tubelet_size=2,
    conv_dims=(32, 64),
    conv_depths=(1, 1),
    conv_strides=(2, 2, 2))
model = dict(
    backbone=dict(_hybrid, mask_ratio=0.9),
    target_backbone=dict(_hybrid, mask_ratio=0., final_norm=False))
