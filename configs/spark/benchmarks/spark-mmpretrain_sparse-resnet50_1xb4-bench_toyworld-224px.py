# Speed benchmark, reference side: mmpretrain 1.2.0's SparK with its SparseResNet-50 at the
# same shape as spark_resnet50_1xb4-bench_toyworld-224px.py (decoder width 768, LAMB). Its
# sparse layers are SparseBatchNorm2d (its SparseSyncBatchNorm2d would be reverted to a dense
# BN by tools that revert SyncBN on CPU).
_base_ = ['./spark_resnet50_1xb4-bench_toyworld-224px.py']
model = dict(
    _delete_=True,
    type='mmpretrain.SparK',
    _scope_='mmpretrain',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    input_size=224,
    downsample_raito=32,
    mask_ratio=0.6,
    enc_dec_norm_cfg=dict(type='SparseBatchNorm2d'),
    enc_dec_norm_dim=2048,
    backbone=dict(
        type='SparseResNet',
        depth=50,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='SparseBatchNorm2d'),
        drop_path_rate=0.05),
    neck=dict(
        type='SparKLightDecoder',
        feature_dim=768,
        upsample_ratio=32,
        mid_channels=0,
        norm_cfg=dict(type='BN'),
        last_act=False),
    head=dict(
        type='SparKPretrainHead',
        patch_size=32,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')))
