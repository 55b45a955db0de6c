# Copyright (c) mmvl contributors. All rights reserved.
"""ImageNet-C corruptions (TBM's corrupted-data setting): hand computations per severity."""
import colorsys
import subprocess
import sys
from io import BytesIO

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from mmvl.datasets.transforms import ImageCorruption, corrupt
from mmvl.datasets.transforms.image_corruption import disk_kernel
from mmvl.registry import TRANSFORMS

# make_imagenet_c.py (hendrycks/robustness), written out again here
GAUSSIAN_STD = [.08, .12, .18, .26, .38]
GAUSSIAN_SIGMA = [1, 2, 3, 4, 6]
DEFOCUS = [(3, .1), (4, .5), (6, .5), (8, .5), (10, .5)]
CONTRAST = [.4, .3, .2, .1, .05]
BRIGHTNESS = [.1, .2, .3, .4, .5]
PIXELATE = [.6, .5, .4, .3, .25]
SHOT_PHOTONS = [60, 25, 12, 5, 3]
IMPULSE_AMOUNT = [.03, .06, .09, .17, .27]
SPECKLE_STD = [.15, .2, .35, .45, .6]
SATURATE = [(.3, 0), (.1, 0), (2, 0), (5, .1), (20, .2)]
JPEG_QUALITY = [25, 18, 15, 10, 7]


def photo(h=24, w=20, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize('severity', range(1, 6))
def test_gaussian_noise(severity):
    img = photo()
    out = corrupt(img, 'gaussian_noise', severity, np.random.default_rng(7))
    noise = np.random.default_rng(7).normal(size=img.shape) * GAUSSIAN_STD[severity - 1]
    expected = np.uint8(np.clip(img / 255. + noise, 0, 1) * 255)
    assert np.array_equal(out, expected)


@pytest.mark.parametrize('severity', range(1, 6))
def test_gaussian_blur(severity):
    img = photo()
    sigma = GAUSSIAN_SIGMA[severity - 1]
    # skimage's gaussian: scipy's filter per channel, edges repeated, kernel cut at 4 sigma
    expected = np.stack([gaussian_filter(img[..., c] / 255., sigma, mode='nearest', truncate=4.)
                         for c in range(3)], axis=2)
    out = corrupt(img, 'gaussian_blur', severity)
    assert np.abs(out.astype(int) - np.uint8(np.clip(expected, 0, 1) * 255)).max() <= 1


@pytest.mark.parametrize('severity', range(1, 6))
def test_defocus_blur_spreads_a_point_into_the_disk(severity):
    radius, alias = DEFOCUS[severity - 1]
    kernel = disk_kernel(radius, alias)
    half = max(8, radius)
    # normalised before the anti-aliasing blur, whose reflected border adds a little at r = 8
    assert kernel.shape == (2 * half + 1, ) * 2 and abs(kernel.sum() - 1) < 0.02
    # the hand-made disk: cells within the radius, equal weights, before anti-aliasing
    grid = np.arange(-half, half + 1)
    inside = (grid[:, None]**2 + grid[None, :]**2) <= radius**2
    assert kernel[half, half] > 0 and kernel[0, 0] < kernel[half, half] / 10
    assert kernel[inside].sum() > 0.75
    # a single white point on black becomes the kernel (symmetric: no flip) times 255
    size = 2 * half + 1 + 8
    img = np.zeros((size, size, 3), np.uint8)
    img[size // 2, size // 2] = 255
    out = corrupt(img, 'defocus_blur', severity)
    lo = size // 2 - half
    expected = np.uint8(np.clip(kernel, 0, 1) * 255)
    assert np.abs(out[lo:lo + 2 * half + 1, lo:lo + 2 * half + 1, 0].astype(int)
                  - expected).max() <= 1
    assert np.array_equal(out[..., 0], out[..., 2])


@pytest.mark.parametrize('severity', range(1, 6))
def test_contrast(severity):
    img = photo()
    c = CONTRAST[severity - 1]
    x = img / 255.
    mean = x.reshape(-1, 3).mean(0)
    expected = np.uint8(np.clip((x - mean) * c + mean, 0, 1) * 255)
    assert np.array_equal(corrupt(img, 'contrast', severity), expected)


@pytest.mark.parametrize('severity', range(1, 6))
def test_brightness_of_grey_adds_to_the_value(severity):
    """Grey pixels have no saturation: HSV value + c is every channel + c."""
    img = np.full((4, 4, 3), 100, np.uint8)
    img[0, 0] = 250
    out = corrupt(img, 'brightness', severity)
    c = BRIGHTNESS[severity - 1]
    assert np.abs(out[1, 1].astype(int) - int(min(100 / 255. + c, 1) * 255)).max() <= 1
    assert np.all(out[0, 0] == 255)


@pytest.mark.parametrize('severity', range(1, 6))
def test_pixelate_averages_boxes(severity):
    img = photo(20, 20)
    c = PIXELATE[severity - 1]
    small = int(20 * c)
    out = corrupt(img, 'pixelate', severity)
    expected = Image.fromarray(img).resize((small, small), Image.BOX).resize((20, 20), Image.BOX)
    assert np.array_equal(out, np.asarray(expected))
    assert len(np.unique(out.reshape(-1, 3), axis=0)) <= small * small * 4


@pytest.mark.parametrize('severity', range(1, 6))
def test_shot_noise(severity):
    """ImageNet-C: Poisson(x * c) / c, c photons at full intensity."""
    img = photo()
    c = SHOT_PHOTONS[severity - 1]
    counts = np.random.default_rng(7).poisson(img / 255. * c)
    expected = np.uint8(np.clip(counts / c, 0, 1) * 255)
    assert np.array_equal(corrupt(img, 'shot_noise', severity, np.random.default_rng(7)), expected)


@pytest.mark.parametrize('severity', range(1, 6))
def test_impulse_noise_is_skimage_salt_and_pepper(severity):
    """ImageNet-C calls skimage's random_noise(x, mode='s&p', amount=c)."""
    random_noise = pytest.importorskip('skimage.util').random_noise
    img = photo()
    c = IMPULSE_AMOUNT[severity - 1]
    expected = random_noise(img / 255., mode='s&p', amount=c, rng=np.random.default_rng(7))
    out = corrupt(img, 'impulse_noise', severity, np.random.default_rng(7))
    assert np.array_equal(out, np.uint8(np.clip(expected, 0, 1) * 255))


@pytest.mark.parametrize('severity', range(1, 6))
def test_speckle_noise(severity):
    """ImageNet-C: x + x * N(0, c)."""
    img = photo()
    x = img / 255.
    noise = np.random.default_rng(7).normal(size=img.shape) * SPECKLE_STD[severity - 1]
    expected = np.uint8(np.clip(x + x * noise, 0, 1) * 255)
    out = corrupt(img, 'speckle_noise', severity, np.random.default_rng(7))
    assert np.array_equal(out, expected)


@pytest.mark.parametrize('severity', range(1, 6))
def test_saturate_scales_the_hsv_saturation(severity):
    """ImageNet-C: HSV saturation s -> clip(s * a + b), hue and value kept (colorsys per
    pixel here, skimage's rgb2hsv / hsv2rgb in the implementation)."""
    pytest.importorskip('skimage')
    img = photo(8, 6)
    a, b = SATURATE[severity - 1]
    expected = np.empty(img.shape)
    for i, j in np.ndindex(img.shape[:2]):
        h, s, v = colorsys.rgb_to_hsv(*(img[i, j] / 255.))
        expected[i, j] = colorsys.hsv_to_rgb(h, min(max(s * a + b, 0.), 1.), v)
    expected = np.uint8(np.clip(expected, 0, 1) * 255)
    out = corrupt(img, 'saturate', severity)
    assert np.abs(out.astype(int) - expected).max() <= 1
    assert not np.array_equal(out, img)


@pytest.mark.parametrize('severity', range(1, 6))
def test_jpeg_compression_is_a_pil_round_trip(severity):
    img = photo()
    buffer = BytesIO()
    Image.fromarray(img).save(buffer, 'JPEG', quality=JPEG_QUALITY[severity - 1])
    expected = np.asarray(Image.open(buffer))
    assert np.array_equal(corrupt(img, 'jpeg_compression', severity), expected)
    assert not np.array_equal(expected, img)


def test_impulse_noise_sets_the_share_of_values():
    img = np.full((100, 100, 3), 128, np.uint8)
    out = corrupt(img, 'impulse_noise', 5, np.random.default_rng(0))  # amount 0.27
    salt, pepper = (out == 255).mean(), (out == 0).mean()
    assert abs(salt + pepper - 0.27) < 0.01 and abs(salt - pepper) < 0.01


def test_transform_is_deterministic_given_a_seed():
    img = photo()
    results = lambda path: dict(img=img.copy(), img_path=path)  # noqa: E731
    t = TRANSFORMS.build(dict(type='ImageCorruption', corruption='noise', severity=[3, 5],
                              seed=0))
    a = t(results('/data/a/train/circle/c0.png'))
    b = t(results('/elsewhere/train/circle/c0.png'))  # same last three path parts
    c = t(results('/data/a/train/circle/c1.png'))
    assert np.array_equal(a['img'], b['img']) and a['corruption'] == b['corruption']
    assert not np.array_equal(a['img'], c['img'])
    assert a['corruption'] in ('gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise')
    # another seed, another corrupted dataset
    other = ImageCorruption('noise', [3, 5], seed=1)(results('/data/a/train/circle/c0.png'))
    assert not np.array_equal(a['img'], other['img'])
    # no seed: numpy's global generator (seeded per dataloader worker by mmengine)
    t = ImageCorruption('gaussian_noise', 2)
    np.random.seed(4)
    first = t(results('x.png'))['img']
    np.random.seed(4)
    assert np.array_equal(t(results('x.png'))['img'], first)
    assert not np.array_equal(t(results('x.png'))['img'], first)


def test_transform_converts_bgr():
    img = photo()
    bgr = ImageCorruption('brightness', 3, channel_order='bgr')(dict(img=img[..., ::-1].copy()))
    assert np.array_equal(bgr['img'][..., ::-1], corrupt(img, 'brightness', 3))
    assert bgr['severity'] == 3


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='fog'):
        ImageCorruption('fog')
    with pytest.raises(ValueError, match='severity'):
        ImageCorruption('contrast', severity=6)
    with pytest.raises(ValueError, match='uint8'):
        corrupt(np.zeros((4, 4), np.uint8), 'contrast', 1)
    # a greyscale or RGBA image: the error names its shape and file
    transform = ImageCorruption('contrast', severity=1)
    for shape in ((6, 5), (6, 5, 4)):
        with pytest.raises(ValueError, match=r'shape \(6, 5(, 4)?\) from data/grey\.png'):
            transform(dict(img=np.zeros(shape, np.uint8), img_path='data/grey.png'))


SKIMAGE_BLOCKED = """
import sys
sys.modules['skimage'] = None  # as if scikit-image were not installed
import numpy as np
import mmvl.datasets  # noqa: F401
from mmvl.datasets.transforms import ImageCorruption, corrupt
img = np.zeros((8, 8, 3), np.uint8)
corrupt(img, 'contrast', 1)
ImageCorruption('noise')
for name in ('gaussian_blur', 'brightness', 'saturate'):
    for use in (lambda: corrupt(img, name, 1), lambda: ImageCorruption(name)):
        try:
            use()
        except ImportError as err:
            print(err)
        else:
            raise SystemExit(name + ' ran without scikit-image')
"""


def test_datasets_import_without_scikit_image():
    """scikit-image is optional: mmvl.datasets imports without it, the corruptions that do not
    need it run, and those that do (when used or configured) raise one error naming both."""
    proc = subprocess.run([sys.executable, '-c', SKIMAGE_BLOCKED], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 6
    for line, name in zip(lines, ['gaussian_blur'] * 2 + ['brightness'] * 2 + ['saturate'] * 2):
        assert f"the '{name}' corruption needs scikit-image" in line
        assert 'pip install scikit-image' in line


def test_missing_scikit_image_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, 'skimage', None)
    img = photo()
    with pytest.raises(ImportError, match="'saturate' corruption needs scikit-image"):
        corrupt(img, 'saturate', 1)
    with pytest.raises(ImportError, match="'gaussian_blur' corruption needs scikit-image"):
        ImageCorruption('blur')
    assert corrupt(img, 'defocus_blur', 1).shape == img.shape
