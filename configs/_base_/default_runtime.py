# Runtime shared by every mmvl config.
default_scope = 'mmvl'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # `mmvl_local` writes checkpoints atomically and signs them, so that `--resume` can load
    # them on torch >= 2.6 while files from elsewhere stay behind the safe loader.
    checkpoint=dict(
        type='CheckpointHook',
        interval=100,
        by_epoch=False,
        max_keep_ckpts=3,
        backend_args=dict(backend='mmvl_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo for distributed runs without CUDA.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
