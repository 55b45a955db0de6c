# SWORD on the toy world, the open-world protocol in miniature (VOC -> non-VOC): trained on
# the 5 base shapes only (novel shapes stay in the images, unlabelled), scored class-
# agnostically on the 3 novel shapes with mmvl.OpenWorldMetric. The model is the paper-scale
# one shrunk (ResNet-18 from scratch, 2 + 2 transformer layers with 512-d FFNs, 100 queries,
# 160 px); every mechanism stays. The width stays 256: mmdet's DINO decoder hard-codes a
# 128-per-coordinate sine embedding of the reference boxes. The ablations are in the same
# folder.
_base_ = [
    '../_base_/models/sword_r50.py',
    '../_base_/datasets/toyworld_instance.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
base_classes = ('circle', 'square', 'triangle', 'star', 'hexagon')  # toyworld BASE_CLASSES
base_palette = [(220, 20, 60), (0, 130, 200), (60, 180, 75), (255, 225, 25), (145, 30, 180)]
num_queries = 100  # the largest budget reported is AR@100

model = dict(
    num_queries=num_queries,
    backbone=dict(
        depth=18,
        frozen_stages=-1,  # from scratch: train every stage and keep BN statistics live
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512], out_channels=256),
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            ffn_cfg=dict(feedforward_channels=512))),
    decoder=dict(
        num_layers=2,
        layer_cfg=dict(
            ffn_cfg=dict(feedforward_channels=512))),
    bbox_head=dict(
        contrast=dict(queue_length=256, embed_dims=64, max_negatives=16)),
    dn_cfg=dict(group_cfg=dict(num_dn_queries=20)),
    # toy images are 160 px: the centre radius stays 2.5/32 of the image, as in UNINEXT
    test_cfg=dict(max_per_img=num_queries))

train_dataloader = dict(dataset=dict(metainfo=dict(classes=base_classes, palette=base_palette)))
val_evaluator = dict(
    _delete_=True,
    type='OpenWorldMetric',
    ann_file='data/toyworld/annotations/instances_val.json',
    seen_classes=base_classes,
    metric=['bbox', 'segm'],
    proposal_nums=(10, 20, 50, 100))
test_evaluator = val_evaluator

max_iters = 1000
warmup_iters = 100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    optimizer=dict(lr=4e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'sampling_offsets': dict(lr_mult=0.1),
                                    'reference_points': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=False, begin=warmup_iters,
         end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(interval=250),
    visualization=dict(type='mmdet.DetVisualizationHook'))
visualizer = dict(type='ClassAgnosticDetLocalVisualizer', name='visualizer')
