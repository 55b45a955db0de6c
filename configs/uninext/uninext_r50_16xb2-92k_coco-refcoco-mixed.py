# UNINEXT stage 2, image-level joint training (Yan et al., CVPR 2023; the official
# projects/UNINEXT/configs/image_joint_r50.yaml): ResNet-50, BERT-base prompts, COCO 2017 +
# refcoco-mixed at 1:1 with one task per batch, 16 GPUs x 2 images, AdamW 2e-4 (weight decay
# 0.05), full-model gradient clipping at L2 0.1, 91,990 iterations with a 10x drop at 76,658.
# The authors start it from their stage-1 Objects365 model (BoxInst box-supervised masks),
# which mmvl does not train: convert their released weights with
# tools/model_converters/uninext_to_mmvl.py and pass `--cfg-options load_from=<converted>`.
_base_ = [
    '../_base_/models/uninext_r50.py',
    '../_base_/datasets/coco_refcoco-mixed_uninext.py',
    '../_base_/default_runtime.py',
]
max_iters = 91990
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1),
            'language_model': dict(lr_mult=0.05),  # SOLVER.LANG_LR 1e-5
        }))
# The authors' 200-iteration warm-up has factor 1.0, i.e. none.
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[76658],
         gamma=0.1)
]
auto_scale_lr = dict(enable=False, base_batch_size=32)
default_hooks = dict(
    checkpoint=dict(interval=5000), visualization=dict(type='mmdet.DetVisualizationHook'))
visualizer = dict(type='PromptDetLocalVisualizer', name='visualizer')  # labels name prompts
