# Copyright (c) mmvl contributors. All rights reserved.
"""Fixes for the pinned stack under numpy 2, applied once when mmvl is imported.

Each fix replaces one library function with a version that gives the library's result where
the library works and numpy 1's result where numpy 2 makes it fail; nothing else is changed.
``tests/test_utils/test_compat.py`` checks both.
"""
import cv2
import mmcv
import mmcv.image.photometric as photometric
import numpy as np
from PIL import Image

_original_adjust_hue = photometric.adjust_hue


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None) -> np.ndarray:
    """``mmcv.adjust_hue`` that also works for a negative ``hue_factor`` under numpy 2.

    mmcv 2.1.0 rotates the hue channel (uint8, a full turn is 256) by
    ``np.uint8(hue_factor * 255)``: numpy 1 wrapped a negative value around (-22 -> 234), numpy
    2 raises ``OverflowError``. So every colour jitter with ``hue > 0`` (the MoCo v3, BYOL and
    MCL pipelines) crashed on about half of its draws. For a negative factor this applies
    numpy 1's wrapped shift; a non-negative factor goes to mmcv unchanged.
    """
    if not (hue_factor < 0 and -0.5 <= hue_factor and isinstance(img, np.ndarray)
            and img.ndim in {2, 3}):
        return _original_adjust_hue(img, hue_factor, backend=backend)
    backend = backend or photometric.imread_backend
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8) + shift  # uint8 addition wraps around
        hsv = Image.merge('HSV', (Image.fromarray(np_h, 'L'), s, v))
        return np.array(hsv.convert(pil_image.mode), dtype=img.dtype)[..., ::-1]
    if backend != 'cv2':
        return _original_adjust_hue(img, hue_factor, backend=backend)  # mmcv's own error
    h, s, v = cv2.split(cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL))
    h = h.astype(np.uint8) + shift
    return cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def apply_numpy2_fixes() -> None:
    """Install the fixed functions where mmcv and its callers look them up."""
    photometric.adjust_hue = adjust_hue
    mmcv.adjust_hue = adjust_hue
    mmcv.image.adjust_hue = adjust_hue
