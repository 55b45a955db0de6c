# Copyright (c) mmvl contributors. All rights reserved.
"""Batches of differently sized images for grid vision-language models.

SOHO (Huang et al., CVPR 2021; code: keep-ratio resize, pad to a multiple of 32) and Pixel-BERT
(Huang et al., 2020, Sec. 4.1: short side 800, long side <= 1333) feed whole images of their
own aspect ratio. mmpretrain's ``MultiModalDataPreprocessor`` stacks same-size images (a list
is read as video frames); this one pads a list of images to a common size divisible by
``pad_size_divisor`` (bottom / right padding, like mmdet's ``DetDataPreprocessor``) and records
``batch_input_shape`` and ``pad_shape`` in each sample, while ``img_shape`` (set by the pipeline)
keeps the real size so models can mask the padding. Samples holding several images (an NLVR2
pair, packed by mmpretrain's ``ApplyToList``) give a B x N x 3 x H x W batch, and their
``img_shape`` is a list of N (h, w), one per image (set here if the pipeline did not pack it).
"""
from typing import Optional, Sequence

import torch
from mmengine.model.utils import stack_batch
from mmpretrain.models.utils import MultiModalDataPreprocessor

from mmvl.registry import MODELS


@MODELS.register_module()
class VLDataPreprocessor(MultiModalDataPreprocessor):
    """Normalise images and pad the batch: returns ``images`` (B x 3 x H x W) and samples.

    Args:
        mean (Sequence[float], optional): Per-channel mean. Defaults to None.
        std (Sequence[float], optional): Per-channel std. Defaults to None.
        pad_size_divisor (int): Padded height and width are multiples of it. Defaults to 32.
        pad_value (float): Value of padded pixels (after normalisation). Defaults to 0.
        to_rgb (bool): Convert BGR to RGB. Defaults to True.
    """

    def __init__(self, mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None, pad_size_divisor: int = 32,
                 pad_value: float = 0, to_rgb: bool = True) -> None:
        super().__init__(mean=mean, std=std, pad_size_divisor=pad_size_divisor,
                         pad_value=pad_value, to_rgb=to_rgb)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise each image, then pad them to one size (B x [N x] 3 x H x W)."""
        data = self.cast_data(data)
        imgs = data.get('inputs')
        samples = data.get('data_samples')
        if isinstance(imgs, torch.Tensor):
            imgs = list(imgs)
        if imgs is None:
            return {'images': None, 'data_samples': samples}
        group = None
        if isinstance(imgs[0], (list, tuple)) or imgs[0].dim() == 4:
            group = len(imgs[0])
            if any(len(x) != group for x in imgs):
                raise ValueError('every sample of a batch must hold the same number of images')
            imgs = [img for pair in imgs for img in pair]
        processed = []
        for img in imgs:
            if img.dim() != 3:
                raise ValueError('VLDataPreprocessor expects C x H x W images, got shape '
                                 f'{tuple(img.shape)}')
            if self.to_rgb and img.size(0) == 3:
                img = img.flip(0)
            img = img.float()
            if self._enable_normalize:
                img = (img - self.mean.view(-1, 1, 1)) / self.std.view(-1, 1, 1)
            processed.append(img)
        batch = stack_batch(processed, self.pad_size_divisor, self.pad_value)
        shapes = [tuple(img.shape[-2:]) for img in processed]
        if group is not None:
            batch = batch.view(-1, group, *batch.shape[1:])
            # one (h, w) per image of the sample, as ApplyToList collates `img_shape`
            shapes = [shapes[i:i + group] for i in range(0, len(shapes), group)]
        if samples is not None:
            for sample, shape in zip(samples, shapes):
                sample.set_metainfo(dict(batch_input_shape=tuple(batch.shape[-2:]),
                                         pad_shape=tuple(batch.shape[-2:])))
                if 'img_shape' not in sample.metainfo:
                    sample.set_metainfo(dict(img_shape=shape))
        return {'images': batch, 'data_samples': samples}
