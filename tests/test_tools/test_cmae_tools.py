"""CMAE through the real tools: toy pre-training, then the linear probe trained and tested."""
import os.path as osp

import torch

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_mae_and_project import NO_WORKERS, run

CMAE = get_config_path('cmae/cmae_vit-toy-p8_1xb32-800it_toyworld.py')
PROBE = get_config_path('cmae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py')


def test_cmae_pretrain_then_linear_probe(toyworld, tmp_path):
    pre = str(tmp_path / 'cmae')
    log = run([
        'tools/train.py', CMAE, '--work-dir', pre, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1'
    ])
    for key in ('loss_rc:', 'loss_ct:', 'momentum: 0.9960'):
        assert key in log
    checkpoint = osp.join(pre, 'iter_2.pth')
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    # TargetUpdateHook moved the target after each of the two optimizer steps, by EMA only
    assert int(state['target.steps']) == 2
    online = state['backbone.layers.0.attn.qkv.weight']
    target = state['target.module.backbone.layers.0.attn.qkv.weight']
    assert not torch.equal(online, target)

    probe = str(tmp_path / 'probe')
    log = run([
        'tools/train.py', PROBE, '--work-dir', probe, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS, 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2', f'model.backbone.init_cfg.checkpoint={checkpoint}'
    ])
    assert f'load backbone. in model from: {checkpoint}' in log
    log = run(['tools/test.py', PROBE, osp.join(probe, 'iter_2.pth'), '--work-dir', probe,
               '--cfg-options', *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS])
    assert 'accuracy/top1' in log
