# Rich-region VQA on the toy world: the BUTD top-down attention head over region features
# dumped by the toy attribute detector, with frozen MiniLM (BERT-architecture) question token
# features under the question GRU. Seeds: --cfg-options randomness.seed=N. See README.md.
_base_ = [
    '../_base_/datasets/toyworld_region_vqa.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/toyworld/'
answer_table = 'vqa/answer_table.json'
model = dict(
    type='RegionVQA',
    question_encoder=dict(type='BertQuestionEncoder', name='all-MiniLM-L6-v2', max_tokens=24,
                          frozen=True),
    head=dict(
        type='BUTDAttentionHead',
        region_channels=256,  # fc7 width of the toy detector's box head
        hidden_channels=256,
        question_pooling='gru',
        # Teney et al. L2-normalise regions; on the toy world's 256-d fc7 this made
        # gatedtanh(v) ~ 0.02 and h = f_q(q) * f_v(v) too small to learn (see README.md)
        l2_norm_regions=False,
        with_boxes=False,
        dropout=0.2),
    answer_head=dict(
        type='VQAClassificationHead',
        hidden_channels=512,
        answer_table=data_root + answer_table,
        dropout=0.5))

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# BUTD (Teney et al. §4; the bottom-up-attention-vqa port): Adamax, lr 2e-3, gradient clip.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adamax', lr=2e-3),
    clip_grad=dict(max_norm=0.25))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=False, begin=100,
         end=max_iters),
]
randomness = dict(seed=0)
default_hooks = dict(checkpoint=dict(interval=max_iters))
