# CMAE-V with the hybrid encoder on Kinetics-400 (the paper's 82.2 % top-1 setting; its layer
# table is not given): ConvMAE-B's layout on clips, masked-conv stages of 256 and 384
# channels (2 blocks each, strides 4 / 2 / 2, depthwise 3 x 5 x 5) then 11 transformer layers
# of 768-d on the 8 x 14 x 14 tubelet grid, multi-scale fusion.
_base_ = ['./cmae-v_vit-base-p16_16xb64-800e_kinetics-400.py']
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
