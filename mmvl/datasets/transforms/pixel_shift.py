# Copyright (c) mmvl contributors. All rights reserved.
"""CMAE's pixel-shift view pair.

"Contrastive Masked Autoencoders are Stronger Vision Learners" (Huang et al., TPAMI 2023,
arXiv 2207.13532), Sec. 3.3 "pixel shifting"; the authors' ``CMAEDataset`` and ``ShiftPixel``
(github.com/ZhichengHuang/CMAE@e786a52, ``cmae/datasets/cmae_dataset.py``,
``pipelines/processing.py``). The online and target views come from one master crop (a
random-resized crop to 256 px, then a flip, done by the preceding transforms), so they
overlap almost entirely and form a "plausible" positive pair::

    master (S x S, S = 256)
      +-- online view: the S' x S' crop at (0, 0) (S' = 224), no photometric augmentation
      +-- target view: the S' x S' crop at (dy, dx), dy, dx uniform in {0 .. max_shift}
          (31), then the target-only photometric pipeline (colour jitter, grey, blur)
"""
import copy
import random
from typing import Optional, Sequence, Tuple, Union

from mmcv.transforms import BaseTransform, Compose

from mmvl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PixelShiftTwoView(BaseTransform):
    """Cut the online and the shifted target view from one master image (CMAE Sec. 3.3).

    **Required keys:** ``img`` (the master image, H x W x C, at least
    ``crop_size + max_shift`` on each side).

    **Modified keys:** ``img`` becomes ``[online_view, target_view]``; ``img_shape``.

    **Added keys:** ``shift_offset``: ``((0, 0), (dy, dx))``, the top-left corner of each view
    in the master image (row, column); add it to ``PackInputs``' ``meta_keys`` to keep it.

    The offset is drawn by :meth:`draw_offset` (row first, then column, each uniform over
    ``0 .. max_shift`` inclusive, as the authors' ``ShiftPixel``); override it to fix the
    shift.

    Args:
        crop_size (int): Side of both views. Defaults to 224.
        max_shift (int): Largest target offset in pixels, on each axis. Defaults to 31.
        target_transforms (Sequence[dict]): Photometric transforms applied to the target
            view only. Defaults to () (none).
        online_transforms (Sequence[dict]): Transforms applied to the online view only; the
            paper applies none. Defaults to ().
    """

    def __init__(self,
                 crop_size: int = 224,
                 max_shift: int = 31,
                 target_transforms: Sequence[Union[dict, callable]] = (),
                 online_transforms: Sequence[Union[dict, callable]] = ()) -> None:
        if crop_size < 1:
            raise ValueError(f'crop_size must be positive, got {crop_size}')
        if max_shift < 0:
            raise ValueError(f'max_shift must be >= 0, got {max_shift}')
        self.crop_size = crop_size
        self.max_shift = max_shift
        self.target_pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in target_transforms])
        self.online_pipeline = Compose(
            [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in online_transforms])

    def draw_offset(self) -> Tuple[int, int]:
        """(dy, dx) of the target view: the row offset is drawn first."""
        dy = random.randint(0, self.max_shift)
        dx = random.randint(0, self.max_shift)
        return dy, dx

    def _view(self, results: dict, top: int, left: int, pipeline: Compose) -> Optional[dict]:
        size = self.crop_size
        view = copy.copy(results)
        view['img'] = results['img'][top:top + size, left:left + size].copy()
        view['img_shape'] = (size, size)
        return pipeline(view)

    def transform(self, results: dict) -> dict:
        """Replace the master image by the online and target views.

        Args:
            results (dict): With ``img``, the master image.

        Returns:
            dict: ``img`` = [online, target], ``shift_offset`` and ``img_shape`` updated.
        """
        img = results['img']
        height, width = img.shape[:2]
        need = self.crop_size + self.max_shift
        if height < need or width < need:
            raise ValueError(
                f'PixelShiftTwoView: the master image {results.get("img_path", "(no img_path)")} '
                f'is {height} x {width}, smaller than crop_size + max_shift = {need}: crop the '
                'master to at least that size')
        dy, dx = self.draw_offset()
        if not (0 <= dy <= self.max_shift and 0 <= dx <= self.max_shift):
            raise ValueError(f'draw_offset returned {(dy, dx)}, outside 0 .. {self.max_shift}')
        online = self._view(results, 0, 0, self.online_pipeline)
        target = self._view(results, dy, dx, self.target_pipeline)
        if online is None or target is None:
            raise ValueError('PixelShiftTwoView: a view pipeline returned None (a transform '
                             'dropped the sample)')
        results['img'] = [online['img'], target['img']]
        results['img_shape'] = (self.crop_size, self.crop_size)
        results['shift_offset'] = ((0, 0), (dy, dx))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'max_shift={self.max_shift}, target_transforms={self.target_pipeline}, '
                f'online_transforms={self.online_pipeline})')

