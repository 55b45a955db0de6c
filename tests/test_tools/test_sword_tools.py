"""SWORD end to end: tools/train.py, tools/test.py and demo/image_demo.py on the toy world."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_train_test import FAST, run_tool

CONFIG = get_config_path('sword/sword_r18_1xb4-1000it_toyworld-base2novel.py')
SMALL = ['model.num_queries=20', 'model.test_cfg.max_per_img=20',
         'model.dn_cfg.group_cfg.num_dn_queries=6']


@pytest.fixture(scope='module')
def trained(toyworld, tmp_path_factory):
    """Two training iterations, validated with the open-world metric at the end."""
    work_dir = str(tmp_path_factory.mktemp('sword'))
    run_tool([
        'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
        *toyworld_cfg_options(toyworld), *FAST, *SMALL, 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2'
    ])
    return work_dir


def test_train_validates_with_open_world_metric(trained):
    assert osp.isfile(osp.join(trained, 'iter_2.pth'))
    logs = glob.glob(osp.join(trained, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(logs[0])]
    assert any('loss_contrast' in r and 'loss_mask_iou' in r for r in records)
    final = [r for r in records if 'open_world/segm_AR@100' in r]
    assert final and 0.0 <= final[-1]['open_world/bbox_AR@100'] <= 1.0


def test_test_tool_and_demo_draw_class_agnostic_masks(trained, toyworld, tmp_path):
    ckpt = osp.join(trained, 'iter_2.pth')
    out = str(tmp_path / 'preds.pkl')
    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'test'), '--out', out,
        '--show-dir', 'show', '--cfg-options', *toyworld_cfg_options(toyworld), *FAST, *SMALL
    ])
    assert 'open_world/segm_AR@10' in proc.stdout + proc.stderr
    assert osp.getsize(out) > 0
    assert glob.glob(str(tmp_path / 'test' / '*' / 'show' / '*.png'))

    image = sorted(glob.glob(osp.join(toyworld, 'val', '*.png')))[0]
    out_dir = str(tmp_path / 'demo')
    run_tool([
        'demo/image_demo.py', image, CONFIG, '--weights', ckpt, '--out-dir', out_dir,
        '--pred-score-thr', '0', '--cfg-options', *SMALL
    ])
    name = osp.splitext(osp.basename(image))[0]
    with open(osp.join(out_dir, 'preds', name + '.json')) as f:
        pred = json.load(f)
    assert pred['masks'] and set(pred['label_names']) == {'object'}
    drawn = cv2.imread(osp.join(out_dir, 'vis', osp.basename(image)))
    assert drawn is not None and drawn.std() > 0 and not np.isnan(drawn).any()
