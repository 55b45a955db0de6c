# Speed benchmark, CMAE side: the paper's ViT-B/16 CMAE (224 px, pixel decoder 512 x 8, feature
# decoder 512 x 2, target encoder on all 196 tokens) on toy-world images through the paper's
# pixel-shift pipeline, batch 4, AdamW in fp32 (no AMP on CPU). The target moves inside the
# step ('in_loss': the benchmark runs no hooks), so the EMA update is timed too. Compare with
# mmpretrain 1.2.0's MAE at the same size:
#   python tools/analysis_tools/benchmark.py \
#       configs/cmae/benchmarks/mae-mmpretrain_vit-base-p16_1xb4-bench_toyworld-224px.py \
#       configs/cmae/benchmarks/cmae_vit-base-p16_1xb4-bench_toyworld-224px.py \
#       --task train --iters 5 --warmup 2 --repeats 3
_base_ = [
    '../../_base_/models/cmae_vit-base-p16.py',
    '../../_base_/datasets/imagenet_bs128_cmae.py',
    '../../_base_/default_runtime.py',
]
model = dict(target_update='in_loss')
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        _delete_=True,
        type='mmpretrain.CustomDataset',
        data_root='data/toyworld/imagenet/',
        data_prefix='train/',
        with_label=False,
        pipeline={{_base_.train_pipeline}}))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20)
