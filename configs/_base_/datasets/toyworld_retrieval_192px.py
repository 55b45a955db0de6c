# Toy-world image-text retrieval (Karpathy-split file) for the single-stream grid models:
# training pairs one caption per sample (negatives come from the rest of the batch), testing
# scores all 60 test images against all 300 test captions with mmpretrain's retrieval loops
# (configs set val_cfg / test_cfg to mmpretrain.RetrievalValLoop / RetrievalTestLoop).
data_root = 'data/toyworld/'
img_scale = (192, 192)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='mmpretrain.PackInputs', algorithm_keys=['text', 'gt_text_id', 'gt_image_id'],
         meta_keys=['image_id', 'img_shape', 'ori_shape', 'img_path']),
]
karpathy = dict(type='KarpathyRetrieval', data_root=data_root, data_prefix='',
                ann_file='annotations/karpathy_toyworld.json')
train_dataloader = dict(
    batch_size=24,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**karpathy, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(**karpathy, split='test', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VLRetrievalRecall', topk=(1, 5, 10))
test_evaluator = val_evaluator
