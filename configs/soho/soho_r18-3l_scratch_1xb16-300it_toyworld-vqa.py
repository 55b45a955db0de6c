# The same VQA fine-tuning without VL pre-training: CNN random (no ImageNet weights offline, as
# in the pre-trained run), fusion BERT = the first 3 MiniLM layers, as at the start of the
# caption pre-training.
_base_ = ['./soho_r18-3l_caption-pre_1xb16-300it_toyworld-vqa.py']
model = dict(init_cfg=None)
