"""PixelShiftTwoView: two crops of one master image, shifted, photometric only on the target."""
import glob
import os.path as osp
import random

import numpy as np
import pytest
from mmcv.transforms import BaseTransform
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmvl.datasets.transforms import PixelShiftTwoView
from mmvl.registry import TRANSFORMS
from mmvl.testing import REPO_ROOT

TOY_DATA = osp.join(REPO_ROOT, 'configs/_base_/datasets/toyworld_shapes_cmae.py')


def master(size=256):
    """Every pixel distinct: (row, column, row + column) as uint8 would wrap, so int32."""
    rows, cols = np.mgrid[:size, :size]
    return np.stack([rows, cols, rows * 1000 + cols], -1).astype(np.int32)


class Negate(BaseTransform):

    def transform(self, results):
        results['img'] = -results['img']
        return results


def fixed(offset, **kwargs):
    transform = PixelShiftTwoView(**kwargs)
    transform.draw_offset = lambda: offset
    return transform


@pytest.mark.parametrize('offset', [(0, 0), (31, 0), (5, 17), (31, 31)])
def test_views_are_crops_of_one_master_at_the_recorded_offsets(offset):
    img = master()
    out = fixed(offset)(dict(img=img, img_shape=(256, 256)))
    online, target = out['img']
    dy, dx = offset
    assert online.shape == target.shape == (224, 224, 3) and out['img_shape'] == (224, 224)
    assert np.array_equal(online, img[:224, :224])
    assert np.array_equal(target, img[dy:dy + 224, dx:dx + 224])
    assert out['shift_offset'] == ((0, 0), offset)
    # the overlap: target pixel (r, c) is online pixel (r + dy, c + dx) wherever both exist,
    # at least (224 - 31)^2 of the 224^2 pixels
    assert np.array_equal(target[:224 - dy, :224 - dx], online[dy:, dx:])
    assert (224 - dy) * (224 - dx) >= (224 - 31)**2


def test_offsets_draw_row_then_column_within_range():
    transform = PixelShiftTwoView(crop_size=224, max_shift=31)
    random.seed(3)
    expected = (random.randint(0, 31), random.randint(0, 31))  # the authors' draw order
    random.seed(3)
    assert transform.draw_offset() == expected
    seen = {transform.draw_offset() for _ in range(3000)}
    assert {dy for dy, _ in seen} == set(range(32)) == {dx for _, dx in seen}


def test_only_the_target_view_gets_photometric_augmentation():
    img = master()
    out = fixed((3, 4), target_transforms=[Negate()])(dict(img=img))
    online, target = out['img']
    assert np.array_equal(online, img[:224, :224])
    assert np.array_equal(target, -img[3:227, 4:228])

    # the paper's colour pipeline with every op forced on: the target changes, the online not
    rng = np.random.default_rng(0)
    photo = (rng.random((256, 256, 3)) * 255).astype(np.uint8)
    colour = PixelShiftTwoView(target_transforms=[
        dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
             hue=0.1),
        dict(type='RandomGrayscale', prob=1., keep_channels=True,
             channel_weights=(0.114, 0.587, 0.2989)),
        dict(type='mmpretrain.GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf',
             prob=1.)
    ])
    colour.draw_offset = lambda: (0, 0)
    online, target = colour(dict(img=photo))['img']
    assert np.array_equal(online, photo[:224, :224])
    assert not np.array_equal(target, photo[:224, :224])
    assert np.array_equal(target[..., 0], target[..., 1])  # grey on the target only


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='smaller than crop_size \\+ max_shift = 255'):
        PixelShiftTwoView()(dict(img=master(254)))
    # the message names the image
    with pytest.raises(ValueError, match=r'master image data/small\.png is 254 x 254'):
        PixelShiftTwoView()(dict(img=master(254), img_path='data/small.png'))
    with pytest.raises(ValueError, match='outside 0 .. 31'):
        fixed((32, 0))(dict(img=master()))
    with pytest.raises(ValueError, match='max_shift'):
        PixelShiftTwoView(max_shift=-1)


def test_toy_pipeline_packs_two_views_and_offsets(toyworld):
    init_default_scope('mmvl')
    cfg = Config.fromfile(TOY_DATA)
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.train_pipeline])
    image = sorted(glob.glob(osp.join(toyworld, 'imagenet/train/*/*.png')))[0]
    packed = pipeline(dict(img_path=image))
    online, target = packed['inputs']
    assert online.shape == target.shape == (3, 64, 64)
    (zero, (dy, dx)) = packed['data_samples'].shift_offset
    assert zero == (0, 0) and 0 <= dy <= 9 and 0 <= dx <= 9


def test_paper_pipeline_gives_224_px_views_within_31_px(toyworld):
    init_default_scope('mmvl')
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets/imagenet_bs128_cmae.py'))
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.train_pipeline])
    image = sorted(glob.glob(osp.join(toyworld, 'imagenet/train/*/*.png')))[0]
    for _ in range(5):
        packed = pipeline(dict(img_path=image))
        assert [v.shape for v in packed['inputs']] == [(3, 224, 224)] * 2
        (dy, dx) = packed['data_samples'].shift_offset[1]
        assert 0 <= dy <= 31 and 0 <= dx <= 31
