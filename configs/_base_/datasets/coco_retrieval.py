# COCO image-text retrieval on the Karpathy split (dataset_coco.json,
# https://cs.stanford.edu/people/karpathy/deepimagesent/), paper scale.
# data/coco/{train2014,val2014}/ and data/coco/annotations/dataset_coco.json.
# Train: 113,287 images (train + restval), 5 captions each; test: the 5K test images
# (25,010 captions). COCO 1K: set `test_dataloader.dataset.fold` to 0..4 (1,000 images each)
# and average the five runs.
data_root = 'data/coco/'
ann_file = 'annotations/dataset_coco.json'
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'image_id', 'is_matched']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=['text', 'gt_text_id', 'gt_image_id', 'image_id']),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='KarpathyRetrieval',
        data_root=data_root,
        data_prefix='',
        ann_file=ann_file,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KarpathyRetrieval',
        data_root=data_root,
        data_prefix='',
        ann_file=ann_file,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], split='test', fold=None))
val_evaluator = dict(type='VLRetrievalRecall', topk=(1, 5, 10))
test_evaluator = val_evaluator
val_cfg = dict(type='mmpretrain.RetrievalValLoop')
test_cfg = dict(type='mmpretrain.RetrievalTestLoop')
