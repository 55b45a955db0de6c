# One ensemble member of arXiv 1910.13077: the BUTD top-down attention head over the
# ResNeXt-152 detector's 2048-d region features (10-100 per image), with bert-base-uncased
# token features under the question GRU (§3), trained on VQAv2 train + val for test-dev.
# The paper gives neither the head's sizes nor the schedule: we take those of the public BUTD
# VQA port (hidden 1024, Adamax lr 2e-3, gradient clip 0.25, batch 512, 20 epochs) and keep
# BERT frozen (`question_encoder.frozen=False` fine-tunes it).
_base_ = [
    '../_base_/datasets/vqav2_region_feats.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/vqav2/'
answer_table = 'answer_table.json'
model = dict(
    type='RegionVQA',
    question_encoder=dict(type='BertQuestionEncoder', name='bert-base-uncased', max_tokens=24,
                          frozen=True),
    head=dict(
        type='BUTDAttentionHead',
        region_channels=2048,
        hidden_channels=1024,
        question_pooling='gru',
        l2_norm_regions=True,
        dropout=0.2),
    answer_head=dict(
        type='VQAClassificationHead',
        hidden_channels=2048,
        num_answers=3129,
        answer_table=data_root + answer_table,
        dropout=0.5))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=21)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adamax', lr=2e-3), clip_grad=dict(max_norm=0.25))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.25, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 12, 14, 16], gamma=0.25),
]
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
