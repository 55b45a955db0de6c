# SOHO VQA fine-tuning on the toy world, initialised from the toy caption pre-training
# (soho_r18-3l_1xb16-300it_toyworld-caption.py). As the released code, fine-tuning drops the
# visual dictionary: grid features + position + LayerNorm -> BERT -> [CLS] -> MLP.
_base_ = [
    '../_base_/models/grid_vl_r18-half_minilm-toy.py',
    '../_base_/datasets/toyworld_vqa_192px.py',
    '../_base_/schedules/grid_vl_adamw-sgd_iter.py', '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/soho_r18-3l_1xb16-300it_toyworld-caption/iter_300.pth'
model = dict(
    type='GridVLVQA',
    encoder=dict(max_text_len=16),  # SOHO: 16 question tokens
    head=dict(type='VQAClassificationHead', hidden_channels=4 * 384, dropout=0.5,
              answer_table='data/toyworld/vqa/answer_table.json'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
default_hooks = dict(checkpoint=dict(interval=300, max_keep_ckpts=1))
