"""UNINEXT end to end on the toy world: joint detection + referring training, validation
with COCO and referring metrics, tools/test.py, and the demo with both kinds of prompt."""
import glob
import json
import os.path as osp

import cv2
import pytest

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_train_test import FAST, run_tool

CONFIG = get_config_path('uninext/uninext_r18_1xb4-1000it_toyworld-det-ref.py')
SMALL = ['model.num_queries=20', 'model.dn_cfg.group_cfg.num_dn_queries=6',
         'train_dataloader.sampler.batch_size=2', 'val_dataloader.batch_size=2']


@pytest.fixture(scope='module')
def trained(toyworld, tmp_path_factory):
    """Four joint training iterations, validated on detection and on referring expressions."""
    work_dir = str(tmp_path_factory.mktemp('uninext'))
    run_tool([
        'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'det_ref'), *FAST, *SMALL, 'train_cfg.max_iters=4',
        'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4'
    ])
    return work_dir


def test_joint_training_validates_detection_and_referring(trained):
    assert osp.isfile(osp.join(trained, 'iter_4.pth'))
    logs = glob.glob(osp.join(trained, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(logs[0])]
    assert any('loss_cls' in r and 'dn_loss_cls' in r and 'loss_dice' in r for r in records)
    final = [r for r in records if 'ref/refer/prec@0.5' in r]
    assert final, 'no referring validation result'
    for key in ('det/coco/bbox_mAP', 'det/coco/segm_mAP', 'ref/refer/prec@0.5',
                'ref/refer/oiou', 'ref/refer/miou'):
        assert key in final[-1] and final[-1][key] >= 0.0, key
    assert final[-1]['ref/refer/prec@0.5'] <= 100.0


def test_test_tool_and_demo_with_names_and_with_an_expression(trained, toyworld, tmp_path):
    ckpt = osp.join(trained, 'iter_4.pth')
    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'test'), '--cfg-options',
        *toyworld_cfg_options(toyworld, 'det_ref'), *FAST, *SMALL
    ])
    assert 'ref/refer/oiou' in proc.stdout + proc.stderr

    image = sorted(glob.glob(osp.join(toyworld, 'val', '*.png')))[0]
    name = osp.splitext(osp.basename(image))[0]
    for texts, expected in (('circle . star .', {'circle', 'star'}),
                            ('the red circle left of the star',
                             {'the red circle left of the star'})):
        out_dir = str(tmp_path / texts.replace(' ', '_'))
        run_tool([
            'demo/image_demo.py', image, CONFIG, '--weights', ckpt, '--out-dir', out_dir,
            '--texts', texts, '--pred-score-thr', '0', '--cfg-options', *SMALL
        ])
        with open(osp.join(out_dir, 'preds', name + '.json')) as f:
            pred = json.load(f)
        assert pred['masks'] and set(pred['label_names']) <= expected
        assert set(pred['label_names']) == expected or len(pred['labels']) == 1
        drawn = cv2.imread(osp.join(out_dir, 'vis', osp.basename(image)))
        assert drawn is not None and drawn.std() > 0
    assert len(pred['labels']) == 1  # an expression retrieves one object
