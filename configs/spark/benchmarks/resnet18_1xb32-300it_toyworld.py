# Fine-tune the toy SparK ResNet-18 on toy-world shape classification (128 px). By default it
# loads the backbone that
#   python tools/train.py configs/spark/spark_resnet18_1xb32-800it_toyworld.py
# writes; other weights with --cfg-options model.backbone.init_cfg.checkpoint=PATH, none (the
# random-init baseline) with --cfg-options model.backbone.init_cfg=None.
_base_ = [
    '../../_base_/models/resnet18_toyworld_cls.py',
    '../../_base_/datasets/toyworld_shapes_cls-128px.py',
    '../../_base_/schedules/toyworld_cls_finetune.py',
    '../../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='work_dirs/spark_resnet18_1xb32-800it_toyworld/iter_800.pth')))
train_dataloader = dict(batch_size=32)
