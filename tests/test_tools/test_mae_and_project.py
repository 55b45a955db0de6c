"""The second baseline (MAE -> linear probe) and the example project through the real tools."""
import glob
import os.path as osp
import subprocess
import sys

import pytest

from mmvl.testing import REPO_ROOT, get_config_path, toyworld_cfg_options

MAE = get_config_path('mae/mae_vit-toy-p8_1xb32-800it_toyworld.py')
PROBE = get_config_path('mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py')
PROJECT = osp.join(REPO_ROOT, 'projects', 'example_project', 'configs',
                   'mask-rcnn_example-convnet_fpn_1xb4-600it_toyworld.py')
NO_WORKERS = [
    f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def run(args, cwd=REPO_ROOT):
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout + proc.stderr


def test_mae_pretrain_then_linear_probe(toyworld, tmp_path):
    """Pre-train 2 iterations, load the backbone into the probe, train it, test it."""
    pre = str(tmp_path / 'mae')
    run([
        'tools/train.py', MAE, '--work-dir', pre, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2'
    ])
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


def test_probe_without_pretrained_weights_names_the_file(toyworld, tmp_path):
    proc = subprocess.run([
        sys.executable, 'tools/train.py', PROBE, '--work-dir', str(tmp_path), '--cfg-options',
        *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS, 'train_cfg.max_iters=1',
        f"model.backbone.init_cfg.checkpoint={tmp_path / 'missing.pth'}"
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert f"checkpoint file not found: {tmp_path / 'missing.pth'}" in proc.stderr


def test_example_project_trains_from_any_directory(toyworld, tmp_path):
    """The project's config inherits `mmvl::` and imports its package with custom_imports."""
    work_dir = str(tmp_path / 'work')
    log = run([
        osp.join(REPO_ROOT, 'tools', 'train.py'), PROJECT, '--work-dir', work_dir,
        '--cfg-options', *toyworld_cfg_options(toyworld), *NO_WORKERS,
        'train_dataloader.batch_size=2', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2'
    ], cwd=str(tmp_path))
    assert 'coco/bbox_mAP' in log
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    printed = run([osp.join(REPO_ROOT, 'tools', 'misc', 'print_config.py'), PROJECT],
                  cwd=str(tmp_path))
    assert "type='mmvl.ExampleConvNet'" in printed


@pytest.mark.slow
def test_mask_rcnn_learns_on_the_toy_world(toyworld, tmp_path):
    """300 iterations on the shared 24-image toy world (19 train, 5 val scenes) must lift box AP50
    from chance (about 0.002 after 20 iterations) past 0.2 (measured: 0.277)."""
    work_dir = str(tmp_path)
    run([
        'tools/train.py',
        get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py'), '--work-dir',
        work_dir, '--cfg-options', *toyworld_cfg_options(toyworld), *NO_WORKERS,
        'train_cfg.max_iters=300', 'train_cfg.val_interval=300'
    ])
    import json
    records = [json.loads(line) for line in open(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0])]
    final = [r for r in records if 'coco/bbox_mAP_50' in r][-1]
    assert final['coco/bbox_mAP_50'] > 0.2


def test_missing_data_root_of_an_mmpretrain_dataset_is_named(tmp_path):
    missing = str(tmp_path / 'nowhere') + '/'
    proc = subprocess.run([
        sys.executable, 'tools/train.py', MAE, '--work-dir', str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.data_root={missing}'
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert (f'data root not found: {missing} (train_dataloader.dataset.data_root)'
            in proc.stderr), proc.stderr[-2000:]
