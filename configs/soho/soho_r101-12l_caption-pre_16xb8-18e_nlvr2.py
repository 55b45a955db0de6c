# SOHO NLVR2 fine-tuning ("pair" setting), paper model ResNet-101 / 12 layers. SOHO reports
# NLVR2 (abstract: +1.5 test-P) but released no NLVR2 code, so this reuses Pixel-BERT's NLVR2
# model and recipe (data layout, keep-ratio 600 / 1000 inputs with each image's padding masked,
# schedule) with SOHO's encoder (sine position encoding, no dictionary in fine-tuning, as SOHO's
# VQA).
_base_ = ['../pixel_bert/pixel-bert_x152_caption-pre_16xb8-18e_nlvr2.py']
pretrained = 'work_dirs/soho_r101-12l_8xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    encoder=dict(
        backbone=dict(_delete_=True, type='mmpretrain.ResNet', depth=101, out_indices=(3, ),
                      frozen_stages=1),
        num_hidden_layers=12,
        visual_embed='sine'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
