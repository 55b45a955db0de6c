# The same VQA fine-tuning without VL pre-training (random CNN, MiniLM text weights).
_base_ = ['./pixel-bert_r18-3l_caption-pre_1xb16-300it_toyworld-vqa.py']
model = dict(init_cfg=None)
