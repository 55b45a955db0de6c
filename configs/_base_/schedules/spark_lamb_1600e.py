# SparK pre-training schedule (the authors' pretrain/main.py, utils/lr_control.py): global batch
# 4096, LAMB at base lr 2e-4 x 4096 / 256 with its own global grad-norm clip 5, weight decay
# 0.04 -> 0.2 by cosine over the whole run (none on 1-D parameters, biases and mask tokens),
# 40 warm-up epochs from 0.005 x peak, then cosine to 0.001 x peak, 1600 epochs.
max_epochs = 1600
warmup_epochs = 40
batch_size = 4096
lr = 2e-4 * batch_size / 256
optim_wrapper = dict(
    type='OptimWrapper',
    # ResNet betas; the ConvNeXt configs use (0.9, 0.999) as the authors' do
    optimizer=dict(
        type='mmpretrain.Lamb', lr=lr, betas=(0.9, 0.95), weight_decay=0.04,
        max_grad_norm=5.0),
    clip_grad=None,
    paramwise_cfg=dict(
        bias_decay_mult=0.,
        flat_decay_mult=0.,
        custom_keys={'mask_token': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.005, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min_ratio=1e-3,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
    dict(type='mmpretrain.CosineAnnealingWeightDecay', eta_min=0.2, T_max=max_epochs,
         by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=batch_size)
