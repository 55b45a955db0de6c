# Fine-tune the hybrid CMAE-V encoder on Something-Something V2 (target: 71.6 % top-1; 2 x 3
# views).
_base_ = ['./vit-base-p16_cmae-v-pre_16x2x1_sthv2.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='VideoConvViT',
        arch=dict(embed_dims=768, num_layers=11, num_heads=12, feedforward_channels=3072),
        img_size=224,
        num_frames=16,
        patch_size=16,
        tubelet_size=2,
        conv_dims=(256, 384),
        conv_depths=(2, 2),
        conv_strides=(4, 2, 2),
        conv_kernel_size=(3, 5, 5),
        final_norm=False,
        out_type='avg_featmap',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))
