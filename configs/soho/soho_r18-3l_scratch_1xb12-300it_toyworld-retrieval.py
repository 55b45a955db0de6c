# The same retrieval fine-tuning without VL pre-training (random frozen CNN, MiniLM text
# weights, untrained ITM head).
_base_ = ['./soho_r18-3l_caption-pre_1xb12-300it_toyworld-retrieval.py']
model = dict(init_cfg=None)
