# Speed benchmark, mmvl side: SparK ResNet-50 at the paper's shape (224 px, 7 x 7 mask grid,
# decoder width 768) on toy-world images, with BN instead of SyncBN (one CPU process). Compare
# with mmpretrain 1.2.0's SparK at the same shape:
#   python tools/analysis_tools/benchmark.py \
#       configs/spark/benchmarks/spark_resnet50_1xb4-bench_toyworld-224px.py \
#       configs/spark/benchmarks/spark-mmpretrain_sparse-resnet50_1xb4-bench_toyworld-224px.py \
#       --task train --iters 5 --repeats 3
_base_ = [
    '../../_base_/models/spark_r50.py',
    '../../_base_/datasets/toyworld_shapes_mae.py',
    '../../_base_/schedules/spark_lamb_1600e.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    densify_norm='bn',
    backbone=dict(norm_cfg=dict(type='BN')),
    neck=dict(norm_cfg=dict(type='BN')))
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=224, crop_ratio_range=(0.67, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5),
    dict(type='mmpretrain.PackInputs'),
]))
param_scheduler = []
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=20)
