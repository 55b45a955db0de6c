# SparK ConvNeXt-S pre-training: the ResNet recipe with LAMB betas (0.9, 0.999), LayerNorm
# densify norms and drop path 0.2 (the authors' convnext_small defaults).
_base_ = [
    '../_base_/models/spark_convnext-s.py',
    '../_base_/datasets/imagenet_bs512_spark.py',
    '../_base_/schedules/spark_lamb_1600e.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(betas=(0.9, 0.999)))
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=1, by_epoch=True, max_keep_ckpts=2))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0, diff_rank_seed=True)
