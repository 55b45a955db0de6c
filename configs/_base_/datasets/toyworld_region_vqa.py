# Toy-world VQAv2 questions over dumped region features. Make the features with the toy
# region detector (see configs/rich_region_vqa/README.md):
#   python tools/misc/extract_region_features.py <detector config> <checkpoint> \
#       --out data/toyworld/region_feats --split-file vg/train.txt vg/val.txt
# The answer table (vqa/answer_table.json) is written by the toy-world generator.
dataset_type = 'RegionFeatureVQADataset'
data_root = 'data/toyworld/'
feature_dir = 'region_feats'
answer_table = 'vqa/answer_table.json'
max_boxes = 100

train_pipeline = [
    dict(type='LoadRegionFeatures', max_boxes=max_boxes),
    dict(type='PackRegionVQAInputs'),
]
test_pipeline = train_pipeline

train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        feature_dir=feature_dir,
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
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        feature_dir=feature_dir,
        question_file='vqa/toyworld_val_questions.json',
        ann_file='vqa/toyworld_val_annotations.json',
        answer_table=answer_table,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='OfficialVQAAcc', answer_types=True)
test_evaluator = val_evaluator
