# SWORD's schedule is not published. This is UNINEXT's single-task detection recipe (same
# group; AdamW, weight decay 0.05, full-model gradient clipping at L2 0.1, backbone and
# deformable sampling offsets / reference points at 0.1x, 24 epochs with a 10x drop at 20),
# with its base learning rate 2e-4 for 32 images scaled linearly to the 16 of 8 GPUs x 2.
max_epochs = 24
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'sampling_offsets': dict(lr_mult=0.1),
            'reference_points': dict(lr_mult=0.1)
        }))
# UNINEXT's 200-iteration warm-up has factor 1.0, i.e. none: the rate starts at its value.
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[20], gamma=0.1)
]
# `--auto-scale-lr` rescales the learning rate for other total batch sizes.
auto_scale_lr = dict(enable=False, base_batch_size=16)
