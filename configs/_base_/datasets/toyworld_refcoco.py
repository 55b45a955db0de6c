# Toy-world referring expression segmentation (RES) only: the toy world's RefCOCO-style refs
# (refer-API layout, one image entry per referred object, category "object"). Make the data
# with `python tools/dataset_converters/make_toyworld.py --out data/toyworld`.
#
# Splits: train on `train` (train images, no held-out colour-shape pair), validate on `val`
# and test on `testB`, the val refs whose target or any composition uses a held-out pair:
# the novel compositions MCRES is about.
#
# Contract with the model (as UNINEXT's grounding samples, toyworld_det_ref_joint.py): every
# packed sample's metainfo has task='grounding' and `text`, one expression for the single gt
# instance (label 0), whose mask is at the resized image's size.
data_root = 'data/toyworld/'
backend_args = None
# LAVT resizes every image to a fixed square (480 x 480); toy scenes are 160 x 160.
img_scale = (160, 160)
batch_size = 8

train_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                   'flip_direction', 'text', 'task')
test_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'text',
                  'task')

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='SampleExpression'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='SwapLeftRightOnFlip'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=False),
    dict(type='mmdet.PackDetInputs', meta_keys=train_meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=False),
    # after Resize: ground truth stays in original coordinates for the evaluator
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='SampleExpression', test_mode=True),
    dict(type='mmdet.PackDetInputs', meta_keys=test_meta_keys),
]

refs = dict(
    type='RefCOCODataset',
    data_root=data_root,
    ann_file='refcoco/instances.json',
    split_file='refcoco/refs(unc).p',
    data_prefix=dict(img_path=''),  # file names hold the split folder
    backend_args=backend_args)

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**refs, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # every expression is scored once
    dataset=dict(**refs, split='val', per_sentence=True, test_mode=True, pipeline=test_pipeline))
# testB: the val refs that use a held-out colour-shape pair (novel compositions)
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], split='testB'))

# RES papers (LAVT, MCRES) report Prec@X of the mask, overall IoU and mean IoU
val_evaluator = dict(
    type='ReferringMetric', metric=('prec@0.5', 'oiou', 'miou'), prec_on='mask')
test_evaluator = val_evaluator
