# Fine-tuning benchmark of a pre-trained ResNet-18 on toy-world shape classification (128 px,
# 8 classes, 600 train / 120 val images), shared by the convnet self-supervised methods. Each
# method's `benchmarks/` config sets the checkpoint its toy pre-training writes; any other with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# and the random-initialisation baseline with
#   --cfg-options model.backbone.init_cfg=None
# The checkpoint can be a whole pre-training checkpoint (its `backbone.` keys are loaded) or the
# output of tools/model_converters/selfsup_to_backbone.py with --dst-prefix backbone.
_base_ = [
    '../_base_/models/resnet18_toyworld_cls.py',
    '../_base_/datasets/toyworld_shapes_cls-128px.py',
    '../_base_/schedules/toyworld_cls_finetune.py',
    '../_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=32)
