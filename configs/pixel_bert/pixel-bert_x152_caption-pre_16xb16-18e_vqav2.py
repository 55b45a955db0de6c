# Pixel-BERT VQA fine-tuning of the ResNeXt-152 model (test-dev 74.45 / test-std 74.55 in
# the paper).
_base_ = ['./pixel-bert_r50_caption-pre_16xb16-18e_vqav2.py']
pretrained = 'work_dirs/pixel-bert_x152_64xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    encoder=dict(backbone=dict(_delete_=True, type='mmpretrain.ResNeXt', depth=152, groups=32,
                               width_per_group=8, out_indices=(3, ))),
    init_cfg=dict(checkpoint=pretrained))
