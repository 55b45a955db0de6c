# Pixel-BERT retrieval fine-tuning on the toy world from the caption pre-training: each image
# with its caption and negative captions of the batch, softmax over the ITM scores, only the
# hardest negatives back-propagated; the CNN is frozen (Transformer only, AdamW 1e-4). The
# paper's 20 negatives / 5 hardest are shrunk to 11 / 3 (batch 12) for a one-core budget.
# Testing scores each of the first 30 test images against each of their 150 captions.
_base_ = [
    '../_base_/models/grid_vl_r18-half_minilm-toy.py',
    '../_base_/datasets/toyworld_retrieval_192px.py',
    '../_base_/schedules/grid_vl_adamw-sgd_iter.py', '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/pixel-bert_r18-3l_1xb16-300it_toyworld-caption/iter_300.pth'
model = dict(
    type='GridVLRetrieval',
    encoder=dict(visual_embed='type',
                 backbone=dict(frozen_stages=4, norm_eval=True)),
    itm_head=dict(type='ITMHead'),
    negative_sampler=dict(type='RetrievalNegativeSampler', num_negatives=11),
    num_hard=3,
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
    clip_grad=dict(max_norm=10.0))
val_cfg = dict(_delete_=True, type='mmpretrain.RetrievalValLoop')
test_cfg = dict(_delete_=True, type='mmpretrain.RetrievalTestLoop')
train_cfg = dict(max_iters=300, val_interval=300)
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', milestones=[240], gamma=0.1, by_epoch=False),
]
train_dataloader = dict(batch_size=12)
val_dataloader = dict(dataset=dict(fold=0, fold_size=30))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=300, max_keep_ckpts=1))
