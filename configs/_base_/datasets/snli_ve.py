# SNLI-VE visual entailment (https://github.com/necla-ml/SNLI-VE), paper scale.
# data/snli_ve/snli_ve_{train,dev,test}.jsonl and data/flickr30k/flickr30k_images/<id>.jpg.
# Labels: entailment 0, neutral 1, contradiction 2; metric: accuracy on dev and test.
data_root = 'data/'
image_prefix = 'flickr30k/flickr30k_images'
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'image_id']),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='SNLIVEDataset',
        data_root=data_root,
        ann_file='snli_ve/snli_ve_train.jsonl',
        data_prefix=image_prefix,
        pipeline=pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SNLIVEDataset',
        data_root=data_root,
        ann_file='snli_ve/snli_ve_dev.jsonl',
        data_prefix=image_prefix,
        test_mode=True,
        pipeline=pipeline))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='snli_ve/snli_ve_test.jsonl'))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
