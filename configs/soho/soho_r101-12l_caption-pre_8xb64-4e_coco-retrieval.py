# SOHO COCO retrieval fine-tuning, paper model ResNet-101 / 12 layers. SOHO reports COCO 5K
# retrieval (abstract: +2.0 TR R@1) but released no retrieval code (researchmm/soho issue #7),
# so this reuses Pixel-BERT's COCO retrieval model and recipe (ITM scores, 5 hardest of 20
# negatives, Transformer only, 4 epochs with x0.1 at 2) with SOHO's encoder (sine position
# encoding, no dictionary in fine-tuning). Flickr30K: the same with
# configs/pixel_bert/pixel-bert_x152_caption-pre_8xb64-10e_flickr30k.py's data.
_base_ = ['../pixel_bert/pixel-bert_x152_caption-pre_8xb64-4e_coco-retrieval.py']
pretrained = 'work_dirs/soho_r101-12l_8xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    encoder=dict(
        _delete_=True,
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=101, out_indices=(3, ), frozen_stages=4,
                      norm_eval=True),
        in_channels=2048,
        text_model='bert-base-uncased',
        num_hidden_layers=12,
        visual_embed='sine',
        max_text_len=40),
    init_cfg=dict(checkpoint=pretrained))
