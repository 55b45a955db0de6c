"""CMAE through the real tools: toy pre-training, then the linear probe trained and tested."""
import os.path as osp
import subprocess
import sys

from mmvl.testing import REPO_ROOT, get_config_path, toyworld_cfg_options

CMAE = get_config_path('cmae/cmae_vit-toy-p8_1xb32-800it_toyworld.py')
PROBE = get_config_path('cmae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py')
NO_WORKERS = [
    f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def run(args):
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout + proc.stderr


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
    probe = str(tmp_path / 'probe')
    log = run([
        'tools/train.py', PROBE, '--work-dir', probe, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS, 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2',
        f"model.backbone.init_cfg.checkpoint={osp.join(pre, 'iter_2.pth')}"
    ])
    assert f"load backbone. in model from: {osp.join(pre, 'iter_2.pth')}" in log
    log = run(['tools/test.py', PROBE, osp.join(probe, 'iter_2.pth'), '--work-dir', probe,
               '--cfg-options', *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS])
    assert 'accuracy/top1' in log
