# SOHO retrieval fine-tuning on the toy world (SOHO released no retrieval code): the toy SOHO
# caption pre-training with Pixel-BERT's hardest-negative ranking recipe
# (pixel-bert_r18-3l_caption-pre_1xb12-300it_toyworld-retrieval.py); no dictionary, as SOHO's
# fine-tuning neck.
_base_ = ['../pixel_bert/pixel-bert_r18-3l_caption-pre_1xb12-300it_toyworld-retrieval.py']
pretrained = 'work_dirs/soho_r18-3l_1xb16-300it_toyworld-caption/iter_300.pth'
model = dict(encoder=dict(visual_embed='sine', backbone=dict(frozen_stages=4)),
             init_cfg=dict(checkpoint=pretrained))
