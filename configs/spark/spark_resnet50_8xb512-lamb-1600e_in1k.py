# SparK ResNet-50 pre-training on ImageNet-1k, the authors' recipe (8 GPUs x 512 = 4096).
_base_ = [
    '../_base_/models/spark_r50.py',
    '../_base_/datasets/imagenet_bs512_spark.py',
    '../_base_/schedules/spark_lamb_1600e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=1, by_epoch=True, max_keep_ckpts=2))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0, diff_rank_seed=True)
