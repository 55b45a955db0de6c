# Toy-world VQA (VQAv2 question / annotation files) for the grid-feature VL models (SOHO,
# Pixel-BERT). Make the data with `python tools/dataset_converters/make_toyworld.py --out
# data/toyworld`. Images are resized to 192 x 192 so that the stride-64 grid is 3 x 3.
data_root = 'data/toyworld/'
img_scale = (192, 192)
answer_table = 'vqa/answer_table.json'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=['question', 'question_id', 'gt_answer', 'gt_answer_label',
                         'gt_answer_score', 'answer_type'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
test_pipeline = train_pipeline

vqa = dict(type='VQAv2Dataset', data_root=data_root, data_prefix='by_id',
           answer_table=answer_table)
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**vqa, question_file='vqa/toyworld_train_questions.json',
                 ann_file='vqa/toyworld_train_annotations.json', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**vqa, question_file='vqa/toyworld_val_questions.json',
                 ann_file='vqa/toyworld_val_annotations.json', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='OfficialVQAAcc')
test_evaluator = val_evaluator
