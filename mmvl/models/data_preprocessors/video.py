# Copyright (c) mmvl contributors. All rights reserved.
"""Normalise batches of video clips (mmaction2 ``ActionDataPreprocessor``, format NCTHW)."""
from typing import Sequence

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Stack, cast to float and normalise clips packed by ``PackVideoInputs``.

    The packed inputs of one sample may be a clip C x T x H x W, views V x C x T x H x W, or a
    list of clips (one per view, e.g. CMAE-V's ``[online, target]``). After
    ``default_collate`` the output keeps that form with a batch dimension in front:
    B x C x T x H x W, B x V x C x T x H x W, or a list of B x C x T x H x W tensors (what
    mmpretrain's ``MAE`` and mmvl's ``CMAE`` take).

    Args:
        mean (Sequence[float]): Per-channel mean (RGB, 0-255). Defaults to ImageNet's.
        std (Sequence[float]): Per-channel std. Defaults to ImageNet's.
        non_blocking (bool): Copy to the device without blocking. Defaults to False.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking)
        if len(mean) != len(std):
            raise ValueError(f'mean and std differ in length: {mean}, {std}')
        self.register_buffer('mean', torch.tensor(mean).view(-1, 1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std).view(-1, 1, 1, 1), False)

    def _normalise(self, clips: Tensor) -> Tensor:
        channels = clips.shape[-4]
        if channels != len(self.mean):
            raise ValueError(f'clips have {channels} channels (shape {tuple(clips.shape)}), '
                             f'the preprocessor normalises {len(self.mean)}')
        return (clips.float() - self.mean) / self.std

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise ``data['inputs']``; ``data_samples`` pass through.

        Args:
            data (dict): ``inputs`` collated by ``default_collate`` (as mmpretrain's configs
                do): a tensor, or a list of tensors (one per view); and ``data_samples``.
            training (bool): Unused.

        Returns:
            dict: ``inputs`` as described in the class docstring and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, Tensor):
            batch = self._normalise(inputs)
        elif isinstance(inputs, (list, tuple)) and all(isinstance(v, Tensor) for v in inputs):
            batch = [self._normalise(view) for view in inputs]
        else:
            raise TypeError('VideoDataPreprocessor needs inputs collated by default_collate '
                            "(collate_fn=dict(type='default_collate')): a tensor or a list of "
                            f'tensors, got {type(inputs).__name__}')
        return dict(inputs=batch, data_samples=data.get('data_samples'))
