# VQAv2 over dumped region features (BUTD layout, one <image_id>.npz per COCO image).
# Layout (data/vqav2/): the official question / annotation files, answer_table.json
# (tools/dataset_converters/build_vqa_answer_table.py ... --min-count 9: 3,129 answers) and
# region_feats/ (tools/misc/extract_region_features.py on COCO train2014 + val2014 + test2015).
dataset_type = 'RegionFeatureVQADataset'
data_root = 'data/vqav2/'
feature_dir = 'region_feats'
answer_table = 'answer_table.json'

pipeline = [
    dict(type='LoadRegionFeatures', max_boxes=100),
    dict(type='PackRegionVQAInputs'),
]
train_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(type=dataset_type, data_root=data_root, feature_dir=feature_dir,
                 question_file='v2_OpenEnded_mscoco_train2014_questions.json',
                 ann_file='v2_mscoco_train2014_annotations.json', answer_table=answer_table,
                 pipeline=pipeline),
            dict(type=dataset_type, data_root=data_root, feature_dir=feature_dir,
                 question_file='v2_OpenEnded_mscoco_val2014_questions.json',
                 ann_file='v2_mscoco_val2014_annotations.json', answer_table=answer_table,
                 pipeline=pipeline),
        ]))
val_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type, data_root=data_root, feature_dir=feature_dir,
        question_file='v2_OpenEnded_mscoco_val2014_questions.json',
        ann_file='v2_mscoco_val2014_annotations.json', answer_table=answer_table,
        test_mode=True, pipeline=pipeline))
# test-dev: no answers; the metric writes the EvalAI submission
test_dataloader = dict(
    batch_size=512,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type, data_root=data_root, feature_dir=feature_dir,
        question_file='v2_OpenEnded_mscoco_test-dev2015_questions.json',
        answer_table=answer_table, test_mode=True, pipeline=pipeline))
val_evaluator = dict(type='OfficialVQAAcc', answer_types=True)
test_evaluator = dict(type='OfficialVQAAcc', dump_evalai='work_dirs/vqa_test-dev_evalai.json')
