# ImageNet-1k fine-tuning of a SparK ResNet-101, the authors' downstream_imagenet recipe for
# resnet101: the ResNet-50 recipe (batch 2048, 300 epochs, 5 warm-up, wd 0.02, mixup 0.1, EMA
# 0.9999) with LAMB at 0.001 x 2048 / 256, layer decay 0.8 and drop path 0.2.
_base_ = ['./resnet50_spark-pre_8xb256-lamb-300e_in1k.py']
model = dict(
    backbone=dict(
        depth=101,
        drop_path_rate=0.2,
        init_cfg=dict(
            checkpoint='work_dirs/spark_resnet101_8xb512-lamb-1600e_in1k/epoch_1600.pth')))
optim_wrapper = dict(
    optimizer=dict(lr=0.001 * 2048 / 256), paramwise_cfg=dict(layer_decay_rate=0.8))
