# Pixel-BERT NLVR2 fine-tuning ("pair" setting) on the toy world from the caption pre-training:
# the encoder runs on (image 0, statement) and (image 1, statement); the two [CLS] vectors,
# concatenated, go through an MLP to True / False.
_base_ = [
    '../_base_/models/grid_vl_r18-half_minilm-toy.py',
    '../_base_/datasets/toyworld_nlvr2_192px.py',
    '../_base_/schedules/grid_vl_adamw-sgd_iter.py', '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/pixel-bert_r18-3l_1xb16-300it_toyworld-caption/iter_300.pth'
model = dict(
    type='GridVLNLVR2',
    encoder=dict(visual_embed='type',
                 backbone=dict(frozen_stages=-1)),
    head=dict(type='NLVR2PairHead', hidden_channels=2 * 384),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
default_hooks = dict(checkpoint=dict(interval=300, max_keep_ckpts=1))
