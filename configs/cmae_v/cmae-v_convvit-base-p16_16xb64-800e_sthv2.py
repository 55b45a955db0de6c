# CMAE-V with the hybrid encoder on Something-Something V2 (the paper's 71.6 % top-1 setting).
_base_ = ['./cmae-v_vit-base-p16_16xb64-800e_sthv2.py']
_hybrid = dict(
    _delete_=True,
    type='VideoConvMAEViT',
    arch=dict(embed_dims=768, num_layers=11, num_heads=12, feedforward_channels=3072),
    img_size=224,
    num_frames=16,
    patch_size=16,
    tubelet_size=2,
    conv_dims=(256, 384),
    conv_depths=(2, 2),
    conv_strides=(4, 2, 2),
    conv_kernel_size=(3, 5, 5))
model = dict(
    backbone=dict(_hybrid, mask_ratio=0.9),
    target_backbone=dict(_hybrid, mask_ratio=0., final_norm=False))
