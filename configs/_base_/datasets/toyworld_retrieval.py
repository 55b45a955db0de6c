# Toy-world image-text retrieval on the Karpathy-layout split (karpathy_toyworld.json).
# Train: one entry per caption. Val / test: one entry per image with all its captions; the
# mmpretrain retrieval loops score every image against every caption and report R@1/5/10 of
# image->text (i2t/) and text->image (t2i/).
data_root = 'data/toyworld/'
ann_file = 'annotations/karpathy_toyworld.json'
image_scale = (160, 160)
data_preprocessor = dict(
    type='VLDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    pad_size_divisor=32,
    to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'image_id', 'is_matched']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=['text', 'gt_text_id', 'gt_image_id', 'image_id']),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='KarpathyRetrieval',
        data_root=data_root,
        data_prefix='',
        ann_file=ann_file,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
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
    val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = dict(type='VLRetrievalRecall', topk=(1, 5, 10))
test_evaluator = val_evaluator
val_cfg = dict(type='mmpretrain.RetrievalValLoop')
test_cfg = dict(type='mmpretrain.RetrievalTestLoop')
