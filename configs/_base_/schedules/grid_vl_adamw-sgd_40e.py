# SOHO's AdamwSGD schedule (configs/Pretrain/soho_res18_pre.py): SGD momentum 0.9, lr 1e-2
# (x100), wd 1e-4 for the CNN; AdamW lr 1e-4, wd 1e-2 for the Transformer and heads; grad clip
# 10 (per optimizer here); 2-step gradient accumulation; linear warm-up 1,000 iterations from
# 1/3; 40 epochs with x0.1 at epochs 25 and 35. Pixel-BERT uses the same schedule.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=100)
optim_wrapper = dict(
    constructor='ParamPrefixOptimWrapperDictConstructor',
    cnn=dict(prefixes=['encoder.backbone.'],
             optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=1e-4),
             clip_grad=dict(max_norm=10.0), accumulative_counts=2),
    # eps 1e-6: the default of SOHO's AdamwSGD (SOHO/optimizers/AdamwSGD.py), which its
    # configs keep (torch's AdamW default is 1e-8); Pixel-BERT does not state it
    transformer=dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2, eps=1e-6),
                     clip_grad=dict(max_norm=10.0), accumulative_counts=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', milestones=[25, 35], gamma=0.1, by_epoch=True),
]
sync_bn = 'torch'  # the authors' SyncBN in the CNN and projections on multi-GPU runs
