"""tools/dataset_converters/make_digits.py: scikit-learn's digits as ImageNet-style folders, and
the digits benchmark configs reading them."""
import filecmp
import importlib.util
import os.path as osp
from collections import Counter

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image
from sklearn.datasets import load_digits

from mmvl.testing import REPO_ROOT

_spec = importlib.util.spec_from_file_location(
    'make_digits', osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'make_digits.py'))
make_digits = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_digits)
DIGITS_CONFIGS = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'digits')


def read_meta(root, split):
    with open(osp.join(root, 'meta', f'{split}.txt')) as f:
        return [line.split() for line in f.read().splitlines()]


@pytest.fixture(scope='module')
def digits_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('digits'))
    assert make_digits.main(['--out', root, '--size', '64', '--seed', '0']) == 0
    return root


def test_counts_split_and_labels(digits_root):
    target = load_digits().target
    train, val = read_meta(digits_root, 'train'), read_meta(digits_root, 'val')
    assert (len(train), len(val)) == (1437, 360)
    indices = {}
    for split, lines in (('train', train), ('val', val)):
        for name, label in lines:
            digit, file = name.split('/')
            index = int(file[:-len('.png')])
            # the folder, the meta label and scikit-learn's label agree
            assert digit == label == str(target[index])
            assert osp.isfile(osp.join(digits_root, split, name))
            indices.setdefault(split, set()).add(index)
    # every scan once, in exactly one split
    assert indices['train'].isdisjoint(indices['val'])
    assert indices['train'] | indices['val'] == set(range(len(target)))
    # stratified: every digit has a fifth of its scans in val
    per_digit, in_val = Counter(target.tolist()), Counter(int(label) for _, label in val)
    for digit, count in per_digit.items():
        assert abs(in_val[digit] - 0.2 * count) <= 1
    image = Image.open(osp.join(digits_root, 'train', train[0][0]))
    assert image.size == (64, 64) and image.mode == 'RGB'


def test_pixels_are_the_scans(tmp_path):
    """At 8 px (no resampling) every image is its scan, grey levels 0..16 mapped to 0..255."""
    make_digits.write_digits(str(tmp_path), size=8, seed=0)
    images = load_digits().images
    for name, _ in read_meta(str(tmp_path), 'val')[:20]:
        index = int(name.split('/')[1][:-len('.png')])
        pixels = np.asarray(Image.open(osp.join(str(tmp_path), 'val', name)))
        expected = np.round(images[index] * 255 / 16).astype(np.uint8)
        for channel in range(3):
            np.testing.assert_array_equal(pixels[..., channel], expected)


def test_deterministic_and_idempotent(digits_root, tmp_path):
    again = str(tmp_path / 'again')
    make_digits.write_digits(again, size=64, seed=0)
    stale = osp.join(again, 'train', '0', 'stale.png')
    Image.new('RGB', (64, 64)).save(stale)
    make_digits.write_digits(again, size=64, seed=0)  # re-running replaces the previous output
    assert not osp.exists(stale)
    for split in ('train', 'val'):
        assert filecmp.cmp(osp.join(digits_root, 'meta', f'{split}.txt'),
                           osp.join(again, 'meta', f'{split}.txt'), shallow=False)
        names = [name for name, _ in read_meta(digits_root, split)[::97]]
        match, mismatch, errors = filecmp.cmpfiles(
            osp.join(digits_root, split), osp.join(again, split), names, shallow=False)
        assert match == names and not mismatch and not errors
    other = str(tmp_path / 'seed1')
    make_digits.write_digits(other, size=8, seed=1)
    assert read_meta(other, 'val') != read_meta(digits_root, 'val')


@pytest.mark.parametrize('argv, flag', [
    (['--size', '4'], '--size'),
    (['--val-fraction', '1.5'], '--val-fraction'),
    (['--seed', '-1'], '--seed'),
])
def test_bad_argument_is_named(tmp_path, capsys, argv, flag):
    with pytest.raises(SystemExit) as error:
        make_digits.main(['--out', str(tmp_path / 'out')] + argv)
    assert error.value.code == 2
    assert f'argument {flag}' in capsys.readouterr().err
    assert not osp.exists(tmp_path / 'out')


def test_out_must_be_a_directory(tmp_path, capsys):
    path = tmp_path / 'file'
    path.write_text('')
    with pytest.raises(SystemExit):
        make_digits.main(['--out', str(path)])
    assert 'argument --out' in capsys.readouterr().err


@pytest.mark.parametrize('config, split', [
    ('mae_vit-toy-p8_1xb32-800it_digits.py', 'train'),
    ('cmae_vit-toy-p8_1xb32-800it_digits.py', 'train'),  # 73 px master crop from 64 px
    ('mae-tbm_vit-toy-p8_1xb32-800it_digits-c.py', 'train'),
    ('vit-toy-p8_linear-1xb64-300it_digits.py', 'train'),
    ('vit-tbm-toy-p8_linear-1xb64-300it_digits-c.py', 'val'),
])
def test_configs_read_the_digits(digits_root, config, split):
    """The digits configs build their data sets on the written folders and run the pipelines."""
    from mmengine.registry import DefaultScope

    from mmvl.registry import DATASETS
    cfg = Config.fromfile(osp.join(DIGITS_CONFIGS, config))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    assert dataset_cfg.data_root == 'data/digits/'
    dataset_cfg.data_root = digits_root
    with DefaultScope.overwrite_default_scope('mmvl'):
        dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == (1437 if split == 'train' else 360)
    sample = dataset[0]
    inputs = sample['inputs']
    if 'linear' in config:
        assert dataset.metainfo['classes'] == tuple(str(d) for d in range(10))
        assert cfg.model.head.num_classes == 10
        assert sample['data_samples'].gt_label.item() == int(dataset.get_data_info(0)['gt_label'])
        assert tuple(inputs.shape) == (3, 64, 64)
    else:  # self-supervised: one 64 px image, or CMAE's two 64 px views
        views = inputs if isinstance(inputs, list) else [inputs]
        assert all(tuple(view.shape) == (3, 64, 64) for view in views)
