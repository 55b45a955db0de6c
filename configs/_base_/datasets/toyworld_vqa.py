# Toy-world VQAv2 (official question / annotation layout) for grid VL models (SOHO, Pixel-BERT).
# The answer table (every train answer, min count 1) is written by the toy-world generator;
# for other annotation files build one with tools/dataset_converters/build_vqa_answer_table.py.
# No flips: questions ask about left / right relations.
data_root = 'data/toyworld/'
answer_table = 'vqa/answer_table.json'
image_scale = (160, 160)  # keep-ratio resize inside this box (toy scenes are 160 x 160)
vqa_keys = ['question', 'question_id', 'image_id', 'gt_answer', 'gt_answer_label',
            'gt_answer_score', 'answer_type']
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=vqa_keys),
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='VQAv2Dataset',
        data_root=data_root,
        data_prefix='by_id',
        question_file='vqa/toyworld_train_questions.json',
        ann_file='vqa/toyworld_train_annotations.json',
        answer_table=answer_table,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VQAv2Dataset',
        data_root=data_root,
        data_prefix='by_id',
        question_file='vqa/toyworld_val_questions.json',
        ann_file='vqa/toyworld_val_annotations.json',
        answer_table=answer_table,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='OfficialVQAAcc', answer_types=True)
test_evaluator = val_evaluator
