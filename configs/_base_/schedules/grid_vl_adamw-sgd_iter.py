# SOHO / Pixel-BERT optimisation, iteration based: SGD (momentum 0.9) for the CNN, AdamW for
# the Transformer and heads (SOHO's AdamwSGD: CNN lr x100), linear warm-up from 1/3, step
# decay. `--cfg-options train_cfg.max_iters=N` shortens it.
max_iters = 300
warmup_iters = 30
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    constructor='ParamPrefixOptimWrapperDictConstructor',
    cnn=dict(prefixes=['encoder.backbone.'],
             optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=1e-4),
             clip_grad=dict(max_norm=10.0)),
    transformer=dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
                     clip_grad=dict(max_norm=10.0)))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='MultiStepLR', milestones=[int(max_iters * 0.8)], gamma=0.1, by_epoch=False),
]
