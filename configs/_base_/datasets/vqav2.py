# VQAv2 (official files, https://visualqa.org/download.html) for grid VL models, paper scale.
# data/coco/{train2014,val2014,test2015}/                  COCO images (12-digit ids in names)
# data/vqav2/v2_OpenEnded_mscoco_{train2014,val2014,test-dev2015,test2015}_questions.json
# data/vqav2/v2_mscoco_{train2014,val2014}_annotations.json
# data/vqav2/answer_table.json   3,129 answers (chosen >= 9 times in train + val):
#     python tools/dataset_converters/build_vqa_answer_table.py \
#         data/vqav2/v2_mscoco_train2014_annotations.json \
#         data/vqav2/v2_mscoco_val2014_annotations.json --min-count 9 \
#         --out data/vqav2/answer_table.json
# Train on train2014 (SOHO / Pixel-BERT test-dev runs add val2014: concatenate it), validate
# locally on val2014 with the official accuracy, and write test-dev predictions for EvalAI.
# Images: keep-ratio multi-scale training (short side 400-800, long side <= 1333; SOHO's VQA
# config), test at (1000, 600); the data preprocessor pads each batch to a multiple of 32.
data_root = 'data/'
answer_table = 'vqav2/answer_table.json'
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
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(400, 801, 32)],
         keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=vqa_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=vqa_keys),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='VQAv2Dataset',
        data_root=data_root,
        data_prefix='coco/train2014',
        question_file='vqav2/v2_OpenEnded_mscoco_train2014_questions.json',
        ann_file='vqav2/v2_mscoco_train2014_annotations.json',
        answer_table=answer_table,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VQAv2Dataset',
        data_root=data_root,
        data_prefix='coco/val2014',
        question_file='vqav2/v2_OpenEnded_mscoco_val2014_questions.json',
        ann_file='vqav2/v2_mscoco_val2014_annotations.json',
        answer_table=answer_table,
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='OfficialVQAAcc', answer_types=True)
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VQAv2Dataset',
        data_root=data_root,
        data_prefix='coco/test2015',
        question_file='vqav2/v2_OpenEnded_mscoco_test-dev2015_questions.json',
        answer_table=answer_table,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(type='OfficialVQAAcc', dump_evalai='work_dirs/vqav2_test-dev_results.json')
