# NLVR2 (official jsonl, http://lil.nlp.cornell.edu/nlvr/), paper scale: train / dev / test-P.
# data/nlvr2/{train,dev,test1}.json and images/{train,dev,test1}/ as released: train images in
# the numbered sub-folders images/train/<directory>/ that each train line names, dev and test1
# images directly in their folder. Pixel-BERT R50 inputs: short side 800, long side <= 1333.
data_root = 'data/nlvr2/'
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
pipeline = [
    dict(
        type='mmpretrain.ApplyToList',
        scatter_key='img_path',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1333, 800), keep_ratio=True),
        ],
        collate_keys=['img', 'img_shape', 'scale_factor', 'ori_shape']),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['sample_idx', 'img_path', 'img_shape', 'ori_shape']),
]
dataset_type = 'NLVR2Dataset'

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.json',
        data_prefix='images/train',
        test_mode=False,
        pipeline=pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='dev.json',
        data_prefix='images/dev',
        test_mode=True,
        pipeline=pipeline))
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='test1.json', data_prefix='images/test1'))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
