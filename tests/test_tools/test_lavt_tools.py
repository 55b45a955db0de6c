"""LAVT end to end on the toy world: RES training with validation on `val`, tools/test.py on
`testB` (novel compositions), and the demo with an expression."""
import glob
import json
import os.path as osp
import pickle

import pytest

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_train_test import FAST, run_tool

CONFIG = get_config_path('lavt/lavt_r18_1xb8-600it_toyworld-refcoco.py')
SMALL = ['model.decoder.channels=16', 'val_dataloader.batch_size=4',
         'test_dataloader.batch_size=4']


@pytest.fixture(scope='module')
def trained(toyworld, tmp_path_factory):
    """Two training iterations, then validation on the referring metrics."""
    work_dir = str(tmp_path_factory.mktemp('lavt'))
    run_tool([
        'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'refcoco'), *FAST, *SMALL, 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2'
    ])
    return work_dir


def test_training_validates_referring_segmentation(trained):
    assert osp.isfile(osp.join(trained, 'iter_2.pth'))
    logs = glob.glob(osp.join(trained, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(logs[0])]
    assert any('loss_mask' in r and 'loss_dice' in r for r in records)
    final = [r for r in records if 'refer/oiou' in r]
    assert final, 'no referring validation result'
    for key in ('refer/prec@0.5', 'refer/oiou', 'refer/miou'):
        assert 0.0 <= final[-1][key] <= 100.0, key


def test_test_tool_on_novel_compositions_and_demo(trained, toyworld, tmp_path):
    ckpt = osp.join(trained, 'iter_2.pth')
    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'test'), '--cfg-options',
        *toyworld_cfg_options(toyworld, 'refcoco'), *FAST, *SMALL
    ])
    output = proc.stdout + proc.stderr
    assert 'refer/oiou' in output and 'refer/miou' in output
    with open(osp.join(toyworld, 'refcoco', 'refs(unc).p'), 'rb') as f:
        novel = sum(len(r['sentences']) for r in pickle.load(f) if r['split'] == 'testB')
    assert f'referring ({novel} samples)' in output  # every testB expression, once

    image = sorted(glob.glob(osp.join(toyworld, 'val', '*.png')))[0]
    name = osp.splitext(osp.basename(image))[0]
    out_dir = str(tmp_path / 'demo')
    run_tool([
        'demo/image_demo.py', image, CONFIG, '--weights', ckpt, '--out-dir', out_dir,
        '--texts', 'the red circle left of the star', '--pred-score-thr', '0',
        '--cfg-options', *SMALL
    ])
    with open(osp.join(out_dir, 'preds', name + '.json')) as f:
        pred = json.load(f)
    assert len(pred['labels']) == 1 and len(pred['masks']) == 1
    assert pred['label_names'] == ['the red circle left of the star']
