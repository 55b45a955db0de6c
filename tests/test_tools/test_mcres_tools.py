"""MCRES end to end on the toy world: the LAVT-style RES model trained with the meta loop and
the compositional sampler, validated on seen and novel compositions; and the baseline config
that differs from it only in MCRES."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_train_test import FAST, run_tool

MCRES = get_config_path('mcres/mcres_lavt_r18_1xb4x3-600it_toyworld-refcoco-seen-novel.py')
BASELINE = get_config_path('mcres/lavt_r18_1xb8-600it_toyworld-refcoco-seen-novel.py')
MCRES_UNINEXT = get_config_path(
    'mcres/mcres_uninext_r18_1xb4x3-1000it_toyworld-refcoco-seen-novel.py')
BASELINE_UNINEXT = get_config_path(
    'mcres/uninext_r18_1xb4-1000it_toyworld-refcoco-seen-novel.py')
SMALL = ['model.decoder.channels=16', 'val_dataloader.batch_size=4']


def _check_seen_and_novel_run(work_dir):
    logs = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(logs[0])]
    train = [r for r in records if 'inner_grad_norm' in r]
    assert train and all(k in train[-1] for k in ('vtr_loss', 'vte1_loss', 'vte2_loss'))
    final = [r for r in records if 'novel/refer/miou' in r][-1]
    for split in ('seen', 'novel'):
        for metric in ('prec@0.5', 'prec@0.9', 'oiou', 'miou'):
            assert 0.0 <= final[f'{split}/refer/{metric}'] <= 100.0


def test_mcres_trains_with_virtual_sets_and_reports_seen_and_novel(toyworld, tmp_path):
    run_tool([
        'tools/train.py', MCRES, '--work-dir', str(tmp_path), '--cfg-options',
        *toyworld_cfg_options(toyworld, 'refcoco_seen_novel'), *FAST, *SMALL,
        'train_dataloader.batch_size=6', 'train_dataloader.sampler.batch_size=2',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ])
    _check_seen_and_novel_run(str(tmp_path))


def test_mcres_trains_uninext(toyworld, tmp_path):
    """The second model: the toy UNINEXT with MCRES (B = 1, two steps, validation on the
    first 4 expressions of each split)."""
    run_tool([
        'tools/train.py', MCRES_UNINEXT, '--work-dir', str(tmp_path), '--cfg-options',
        *toyworld_cfg_options(toyworld, 'refcoco_seen_novel'), *FAST,
        'train_dataloader.batch_size=3', 'train_dataloader.sampler.batch_size=1',
        'val_dataloader.batch_size=2', 'val_dataloader.dataset.datasets.0.indices=4',
        'val_dataloader.dataset.datasets.1.indices=4', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2'
    ], timeout=900)
    _check_seen_and_novel_run(str(tmp_path))


@pytest.mark.parametrize('mcres,base', [(MCRES, BASELINE), (MCRES_UNINEXT, BASELINE_UNINEXT)],
                         ids=['lavt', 'uninext'])
def test_baseline_differs_from_mcres_only_in_the_training_loop_and_sampler(mcres, base):
    mcres, base = Config.fromfile(mcres), Config.fromfile(base)
    assert mcres.model == base.model
    assert mcres.val_dataloader == base.val_dataloader
    assert mcres.val_evaluator == base.val_evaluator
    assert mcres.optim_wrapper == base.optim_wrapper
    assert mcres.param_scheduler == base.param_scheduler
    assert mcres.train_dataloader.dataset == base.train_dataloader.dataset
    assert mcres.train_cfg.max_iters == base.train_cfg.max_iters
    assert (mcres.train_cfg.type, base.train_cfg.type) == ('MCRESTrainLoop', 'IterBasedTrainLoop')
