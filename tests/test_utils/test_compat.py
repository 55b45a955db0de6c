"""mmvl.utils.compat: mmcv's hue jitter under numpy 2."""
import cv2
import mmcv
import numpy as np
import pytest
from PIL import Image

from mmvl.utils import compat


def _image():
    return np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)


def test_installed_and_mmcv_alone_fails():
    assert mmcv.adjust_hue is compat.adjust_hue  # installed when mmvl is imported
    if np.lib.NumpyVersion(np.__version__) >= '2.0.0':
        with pytest.raises(OverflowError):
            compat._original_adjust_hue(_image(), -0.09, backend='cv2')


def test_negative_factor_is_numpy1_wrapped_shift_cv2():
    img = _image()
    # numpy 1: np.uint8(-0.09 * 255) = np.uint8(-22.95) -> 234 (truncate, wrap mod 256)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL).astype(np.int64)
    hsv[..., 0] = (hsv[..., 0] + 234) % 256
    expected = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)
    np.testing.assert_array_equal(compat.adjust_hue(img, -0.09, backend='cv2'), expected)


def test_negative_factor_is_numpy1_wrapped_shift_pillow():
    img = _image()
    out = compat.adjust_hue(img, -0.09, backend='pillow')
    hue_in = np.array(Image.fromarray(img[..., ::-1]).convert('HSV'))[..., 0].astype(int)
    hue_out = np.array(Image.fromarray(np.ascontiguousarray(out[..., ::-1])).convert('HSV'))
    diff = (hue_out[..., 0].astype(int) - hue_in) % 256
    # the HSV -> RGB -> HSV round trip moves a hue by a step or two on dark pixels
    assert np.mean(np.abs(diff - 234) <= 2) > 0.9


def test_non_negative_factor_goes_to_mmcv_unchanged():
    img = _image()
    np.testing.assert_array_equal(compat.adjust_hue(img, 0.2, backend='cv2'),
                                  compat._original_adjust_hue(img, 0.2, backend='cv2'))
    with pytest.raises(ValueError, match='hue_factor'):
        compat.adjust_hue(img, -0.7)
