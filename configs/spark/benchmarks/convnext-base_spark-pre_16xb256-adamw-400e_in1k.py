# ImageNet-1k fine-tuning of a SparK ConvNeXt-B, the authors' recipe for convnext_base: the
# ConvNeXt-S recipe (batch 4096, 400 epochs, 20 warm-up, layer decay 0.7, wd 0.01, mixup 0.8,
# repeated augmentation 3, EMA 0.9999) with AdamW at 1e-4 x 4096 / 256 and drop path 0.4.
_base_ = ['./convnext-small_spark-pre_16xb256-adamw-400e_in1k.py']
model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.4,
        init_cfg=dict(
            checkpoint='work_dirs/spark_convnext-base_8xb512-lamb-1600e_in1k/epoch_1600.pth')),
    head=dict(in_channels=1024))
optim_wrapper = dict(optimizer=dict(lr=1e-4 * 4096 / 256))
