# Pixel-BERT VQA fine-tuning on the toy world from the toy caption pre-training: every pixel
# (no sampling), [CLS] -> MLP -> BCE over the answer table.
_base_ = [
    '../_base_/models/grid_vl_r18-half_minilm-toy.py',
    '../_base_/datasets/toyworld_vqa_192px.py',
    '../_base_/schedules/grid_vl_adamw-sgd_iter.py', '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/pixel-bert_r18-3l_1xb16-300it_toyworld-caption/iter_300.pth'
model = dict(
    type='GridVLVQA',
    encoder=dict(visual_embed='type', max_text_len=16,
                 backbone=dict(frozen_stages=-1)),
    head=dict(type='VQAClassificationHead', hidden_channels=4 * 384, dropout=0.5,
              answer_table='data/toyworld/vqa/answer_table.json'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
default_hooks = dict(checkpoint=dict(interval=300, max_keep_ckpts=1))
