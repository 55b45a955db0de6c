# SOHO VQA fine-tuning of the paper's ResNet-101 / 12-layer model.
_base_ = ['./soho_r18-3l_caption-pre_8xb32-20e_vqav2.py']
pretrained = 'work_dirs/soho_r101-12l_8xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    encoder=dict(backbone=dict(depth=101), in_channels=2048, num_hidden_layers=12),
    init_cfg=dict(checkpoint=pretrained))
