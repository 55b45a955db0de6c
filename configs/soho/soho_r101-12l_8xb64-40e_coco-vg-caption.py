# SOHO pre-training as in the paper (not released): ImageNet ResNet-101 and the 12-layer
# BERT-base, otherwise the released recipe.
_base_ = ['./soho_r18-3l_8xb64-40e_coco-vg-caption.py']
model = dict(
    encoder=dict(
        backbone=dict(depth=101,
                      init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')),
        in_channels=2048,
        num_hidden_layers=12))
