# Copyright (c) mmvl contributors. All rights reserved.
"""ImageNet-C style image corruptions (Hendrycks & Dietterich, ICLR 2019) as a pipeline step.

TBM (Li et al., CVPR 2023, arXiv 2304.04175) pre-trains and evaluates on corrupted data: the
images themselves are corrupted, so MAE's reconstruction target (the input image's pixels) is
corrupted too. :class:`ImageCorruption` corrupts ``results['img']``; placed right after
``LoadImageFromFile`` with a ``seed``, it turns an image folder into a fixed corrupted dataset
(each image corrupted once, the same way at every epoch and in every worker, as the stored
ImageNet-C images are), which MAE then reads as both input and target.

The severity constants are those of the official ``make_imagenet_c.py`` (hendrycks/robustness,
``ImageNet-C/create_c``); the code is mmvl's. Corruptions that need ImageMagick (motion blur,
snow) or image files (frost), and glass/zoom blur, fog, spatter and elastic transform, are not
implemented. Every function maps an RGB ``uint8`` image (H x W x 3) to floats in [0, 255]; the
transform truncates them to ``uint8`` as ImageNet-C's ``np.uint8(...)`` before saving does.
Gaussian blur, brightness and saturate need scikit-image (an optional dependency), imported
when one of them is used.
"""
import importlib
import zlib
from io import BytesIO
from typing import Dict, Optional, Sequence, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from mmvl.registry import TRANSFORMS

# severity 1..5 -> parameter(s), from make_imagenet_c.py
SEVERITY_PARAMS: Dict[str, list] = {
    # noise
    'gaussian_noise': [.08, .12, .18, .26, .38],  # std on [0, 1]
    'shot_noise': [60, 25, 12, 5, 3],  # Poisson photon count at full intensity
    'impulse_noise': [.03, .06, .09, .17, .27],  # salt-and-pepper amount
    'speckle_noise': [.15, .2, .35, .45, .6],  # multiplicative std
    # blur
    'defocus_blur': [(3, .1), (4, .5), (6, .5), (8, .5), (10, .5)],  # disk radius, alias blur
    'gaussian_blur': [1, 2, 3, 4, 6],  # sigma in pixels
    # digital
    'contrast': [.4, .3, .2, .1, .05],  # contrast factor around the channel means
    'brightness': [.1, .2, .3, .4, .5],  # added to HSV value
    'saturate': [(.3, 0), (.1, 0), (2, 0), (5, .1), (20, .2)],  # HSV saturation * a + b
    'jpeg_compression': [25, 18, 15, 10, 7],  # JPEG quality
    'pixelate': [.6, .5, .4, .3, .25],  # down-sampling factor
}
FAMILIES = {
    'noise': ('gaussian_noise', 'shot_noise', 'impulse_noise', 'speckle_noise'),
    'blur': ('defocus_blur', 'gaussian_blur'),
    'digital': ('contrast', 'brightness', 'saturate', 'jpeg_compression', 'pixelate'),
}


# corruption -> the scikit-image module it needs
SKIMAGE_MODULES = {
    'gaussian_blur': 'skimage.filters',
    'brightness': 'skimage.color',
    'saturate': 'skimage.color',
}


def _skimage(corruption: str):
    """The scikit-image module ``corruption`` needs, or one ImportError naming both."""
    try:
        importlib.import_module('skimage')
        return importlib.import_module(SKIMAGE_MODULES[corruption])
    except ImportError as err:
        raise ImportError(f'the {corruption!r} corruption needs scikit-image, which is not '
                          'installed: pip install scikit-image (requirements/optional.txt)'
                          ) from err


def _unit(img: np.ndarray) -> np.ndarray:
    return np.asarray(img, dtype=np.float64) / 255.


def gaussian_noise(img, c, rng):
    return np.clip(_unit(img) + rng.normal(size=img.shape, scale=c), 0, 1) * 255


def shot_noise(img, c, rng):
    return np.clip(rng.poisson(_unit(img) * c) / c, 0, 1) * 255


def impulse_noise(img, c, rng):
    """Salt and pepper on each value with probability ``c``, half each (skimage's 's&p')."""
    x = _unit(img)
    flipped = rng.random(x.shape) < c
    salted = rng.random(x.shape) < 0.5
    x[flipped & salted] = 1.
    x[flipped & ~salted] = 0.
    return x * 255


def speckle_noise(img, c, rng):
    x = _unit(img)
    return np.clip(x + x * rng.normal(size=x.shape, scale=c), 0, 1) * 255


def disk_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """ImageNet-C's defocus kernel: a normalised disk (on a grid of at least 17 x 17),
    anti-aliased by a small Gaussian blur."""
    half = max(8, radius)
    grid = np.arange(-half, half + 1)
    xx, yy = np.meshgrid(grid, grid)
    disk = np.array(xx**2 + yy**2 <= radius**2, dtype=np.float32)
    disk /= disk.sum()
    ksize = (3, 3) if radius <= 8 else (5, 5)
    return cv2.GaussianBlur(disk, ksize=ksize, sigmaX=alias_blur)


def defocus_blur(img, c, rng):
    kernel = disk_kernel(*c)
    x = _unit(img)
    out = np.stack([cv2.filter2D(x[..., d], -1, kernel) for d in range(x.shape[2])], axis=2)
    return np.clip(out, 0, 1) * 255


def gaussian_blur(img, c, rng):
    filters = _skimage('gaussian_blur')
    return np.clip(filters.gaussian(_unit(img), sigma=c, channel_axis=-1), 0, 1) * 255


def contrast(img, c, rng):
    x = _unit(img)
    means = x.mean(axis=(0, 1), keepdims=True)
    return np.clip((x - means) * c + means, 0, 1) * 255


def brightness(img, c, rng):
    color = _skimage('brightness')
    x = color.rgb2hsv(_unit(img))
    x[..., 2] = np.clip(x[..., 2] + c, 0, 1)
    return np.clip(color.hsv2rgb(x), 0, 1) * 255


def saturate(img, c, rng):
    color = _skimage('saturate')
    x = color.rgb2hsv(_unit(img))
    x[..., 1] = np.clip(x[..., 1] * c[0] + c[1], 0, 1)
    return np.clip(color.hsv2rgb(x), 0, 1) * 255


def jpeg_compression(img, c, rng):
    buffer = BytesIO()
    Image.fromarray(img).save(buffer, 'JPEG', quality=c)
    return np.asarray(Image.open(buffer), dtype=np.float64)


def pixelate(img, c, rng):
    """Box down-sampling by ``c`` and back (ImageNet-C writes 224 * c; here the image's size)."""
    h, w = img.shape[:2]
    small = Image.fromarray(img).resize((int(w * c), int(h * c)), Image.BOX)
    return np.asarray(small.resize((w, h), Image.BOX), dtype=np.float64)


CORRUPTIONS = {name: globals()[name] for name in SEVERITY_PARAMS}


def corrupt(img: np.ndarray, corruption: str, severity: int,
            rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """Corrupt an RGB ``uint8`` image (H x W x 3) like ImageNet-C.

    Args:
        img (np.ndarray): RGB image, ``uint8``, H x W x 3.
        corruption (str): A key of ``SEVERITY_PARAMS``.
        severity (int): 1 (mild) to 5 (strong).
        rng (np.random.Generator, optional): Source of the random draws (noise corruptions).
            Defaults to None (a fresh unseeded generator).

    Returns:
        np.ndarray: The corrupted image, ``uint8``, the same shape.
    """
    if corruption not in CORRUPTIONS:
        raise ValueError(f'unknown corruption {corruption!r}; choose from {sorted(CORRUPTIONS)}')
    if severity not in range(1, 6):
        raise ValueError(f'severity must be an integer from 1 to 5, got {severity!r}')
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'expected an H x W x 3 uint8 image, got {img.dtype} {img.shape}')
    rng = rng if rng is not None else np.random.default_rng()
    out = CORRUPTIONS[corruption](img, SEVERITY_PARAMS[corruption][severity - 1], rng)
    return np.uint8(out)


@TRANSFORMS.register_module()
class ImageCorruption(BaseTransform):
    """Apply an ImageNet-C corruption to ``results['img']``.

    Required keys: ``img`` (and ``img_path`` for per-image seeding). Modified keys: ``img``.
    Added keys: ``corruption``, ``severity``.

    Args:
        corruption (str | Sequence[str]): Corruption name (see ``SEVERITY_PARAMS``), or a list
            to draw one from per image. A family name (``'noise'``, ``'blur'``, ``'digital'``)
            stands for its members.
        severity (int | Sequence[int]): 1 to 5, or a list to draw one from per image.
            Defaults to 3.
        seed (int, optional): None draws from numpy's global generator (which mmengine seeds per
            worker): a fresh corruption at every load. An integer makes the draws (corruption,
            severity, noise) a function of ``seed`` and the last three parts of ``img_path`` (of
            ``seed`` alone without an ``img_path``): a fixed corrupted dataset. Defaults to None.
        channel_order (str): Channel order of ``results['img']``, ``'bgr'`` (mmcv's
            ``LoadImageFromFile``) or ``'rgb'``. Defaults to ``'bgr'``.
    """

    def __init__(self,
                 corruption: Union[str, Sequence[str]],
                 severity: Union[int, Sequence[int]] = 3,
                 seed: Optional[int] = None,
                 channel_order: str = 'bgr') -> None:
        names = [corruption] if isinstance(corruption, str) else list(corruption)
        self.corruptions = []
        for name in names:
            self.corruptions += list(FAMILIES.get(name, (name, )))
        unknown = [n for n in self.corruptions if n not in CORRUPTIONS]
        if unknown or not self.corruptions:
            raise ValueError(f'ImageCorruption: unknown corruption {unknown or corruption!r}; '
                             f'choose from {sorted(CORRUPTIONS)} or {sorted(FAMILIES)}')
        self.severities = [severity] if isinstance(severity, int) else list(severity)
        bad = [s for s in self.severities if s not in range(1, 6)]
        if bad or not self.severities:
            raise ValueError(f'ImageCorruption: severity must be 1 to 5, got {severity!r}')
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"ImageCorruption: channel_order must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        for name in self.corruptions:  # fail when building the pipeline, not at a load
            if name in SKIMAGE_MODULES:
                _skimage(name)
        self.seed = seed
        self.channel_order = channel_order

    def _rng(self, results: dict) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng(np.random.randint(2**31))
        # the last three path parts (e.g. train/circle/circle_00000.png): the same corruption
        # wherever the data set is stored
        name = '/'.join(str(results.get('img_path', '')).replace('\\', '/').split('/')[-3:])
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def transform(self, results: dict) -> dict:
        rng = self._rng(results)
        name, severity = self.corruptions[0], self.severities[0]
        if len(self.corruptions) > 1:
            name = self.corruptions[rng.integers(len(self.corruptions))]
        if len(self.severities) > 1:
            severity = int(self.severities[rng.integers(len(self.severities))])
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(
                f'ImageCorruption needs an H x W x 3 colour image, got shape {img.shape} '
                f"from {results.get('img_path', 'an image without img_path')}")
        if self.channel_order == 'bgr':
            img = img[..., ::-1]
        out = corrupt(np.ascontiguousarray(img), name, severity, rng)
        if self.channel_order == 'bgr':
            out = np.ascontiguousarray(out[..., ::-1])
        results['img'] = out
        results['corruption'] = name
        results['severity'] = severity
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(corruption={self.corruptions}, '
                f'severity={self.severities}, seed={self.seed})')
