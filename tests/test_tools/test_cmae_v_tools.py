# Copyright (c) mmvl contributors. All rights reserved.
"""CMAE-V end to end through the real tools on toy-world action clips: pre-train (CMAE-V and
the VideoMAE baseline), fine-tune from the checkpoint with 2 x 3 test views (mp4 list),
linear-probe (rawframe list), and test."""
import os.path as osp

from mmvl.datasets.toyworld.generate import write_actions
from mmvl.testing import get_config_path
from test_mae_and_project import NO_WORKERS, run

CMAE_V = get_config_path('cmae_v/cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py')
VIDEOMAE = get_config_path('cmae_v/videomae_vit-toy-p8_1xb32-400it_toyworld-actions.py')
FINETUNE = get_config_path('cmae_v/benchmarks/vit-toy-p8_1xb16-300it_toyworld-actions.py')
LINEAR = get_config_path('cmae_v/benchmarks/vit-toy-p8_linear-1xb32-300it_toyworld-actions.py')
FAST = ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_dataloader.batch_size=4', 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2']


def _data(tmp_path):
    write_actions(str(tmp_path), seed=0, num_clips=10, val_fraction=0.2)
    return osp.join(str(tmp_path), 'video', 'actions') + '/'


def _roots(root, loaders=('train', 'val', 'test')):
    return [f'{split}_dataloader.dataset.data_root={root}' for split in loaders]


def test_cmae_v_pretrain_finetune_test(tmp_path):
    root = _data(tmp_path / 'data')
    pre = str(tmp_path / 'pre')
    log = run(['tools/train.py', CMAE_V, '--work-dir', pre, '--cfg-options',
               *_roots(root, ['train']), *FAST])
    assert 'loss_rc' in log and 'loss_ct' in log
    ckpt = osp.join(pre, 'iter_2.pth')
    fine = str(tmp_path / 'fine')
    log = run(['tools/train.py', FINETUNE, '--work-dir', fine, '--cfg-options', *_roots(root),
               *NO_WORKERS, *FAST[2:], 'train_cfg.val_interval=2',
               f'model.backbone.init_cfg.checkpoint={ckpt}'])
    assert f'load backbone. in model from: {ckpt}' in log
    assert 'accuracy/top1' in log and 'accuracy/top5' in log
    log = run(['tools/test.py', FINETUNE, osp.join(fine, 'iter_2.pth'), '--work-dir',
               str(tmp_path / 'test'), '--cfg-options', *_roots(root), *NO_WORKERS])
    assert 'accuracy/top5' in log


def test_videomae_baseline_pretrain_then_linear_probe_on_rawframes(tmp_path):
    root = _data(tmp_path / 'data')
    pre = str(tmp_path / 'pre')
    run(['tools/train.py', VIDEOMAE, '--work-dir', pre, '--cfg-options', *_roots(root, ['train']),
         *FAST])
    ckpt = osp.join(pre, 'iter_2.pth')
    log = run(['tools/train.py', LINEAR, '--work-dir', str(tmp_path / 'linear'), '--cfg-options',
               *_roots(root), *NO_WORKERS, *FAST[2:], 'train_cfg.val_interval=2',
               f'model.backbone.init_cfg.checkpoint={ckpt}'])
    assert f'load backbone. in model from: {ckpt}' in log and 'accuracy/top1' in log
