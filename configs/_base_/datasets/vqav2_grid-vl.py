# VQAv2 for SOHO / Pixel-BERT fine-tuning: train on train2014 + val2014 questions, test on
# test2015 (answers go to EvalAI). Multi-scale training (short side 400-800, long <= 1333),
# testing at (1000, 600), padded to 1344 x 1344; 3,129-answer table from
# tools/dataset_converters/build_vqa_answer_table.py (min count 9).
data_root = 'data/vqav2/'
answer_table = 'answer_table.json'
meta_keys = ['image_id', 'img_shape', 'ori_shape', 'img_path']
keys = ['question', 'question_id', 'gt_answer', 'gt_answer_label', 'gt_answer_score',
        'answer_type']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.RandomChoiceResize', scales=[(1333, s) for s in range(400, 801, 32)],
         keep_ratio=True),
    dict(type='mmdet.Pad', size=(1344, 1344)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=keys, meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmdet.Pad', size=(1024, 1024)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=keys, meta_keys=meta_keys),
]
vqa = dict(type='VQAv2Dataset', data_root=data_root, answer_table=answer_table)
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ConcatDataset', datasets=[
        dict(**vqa, data_prefix='train2014',
             question_file='v2_OpenEnded_mscoco_train2014_questions.json',
             ann_file='v2_mscoco_train2014_annotations.json', pipeline=train_pipeline),
        dict(**vqa, data_prefix='val2014',
             question_file='v2_OpenEnded_mscoco_val2014_questions.json',
             ann_file='v2_mscoco_val2014_annotations.json', pipeline=train_pipeline),
    ]))
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**vqa, data_prefix='test2015',
                 question_file='v2_OpenEnded_mscoco_test2015_questions.json',
                 pipeline=test_pipeline))
test_evaluator = dict(type='OfficialVQAAcc', dump_evalai='work_dirs/vqav2_test2015.json')
