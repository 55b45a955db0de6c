# Copyright (c) mmvl contributors. All rights reserved.
"""Normalise batches of video clips (mmaction2 ``ActionDataPreprocessor``, format NCTHW)."""
from typing import List, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Stack, cast to float and normalise clips packed by ``PackVideoInputs``.

    The packed inputs of one sample may be a clip C x T x H x W, views V x C x T x H x W, or a
    list of clips (one per view, e.g. CMAE-V's ``[online, target]``). The output keeps that
    form with a batch dimension in front: B x C x T x H x W, B x V x C x T x H x W, or a list
    of B x C x T x H x W tensors (what mmpretrain's ``MAE`` and mmvl's ``CMAE`` take).

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

    def _normalise(self, clips: Union[Tensor, List[Tensor]]) -> Tensor:
        if isinstance(clips, (list, tuple)):
            clips = torch.stack(list(clips))
        channels = clips.shape[-4]
        if channels != len(self.mean):
            raise ValueError(f'clips have {channels} channels (shape {tuple(clips.shape)}), '
                             f'the preprocessor normalises {len(self.mean)}')
        return (clips.float() - self.mean) / self.std

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise ``data['inputs']``; ``data_samples`` pass through.

        Args:
            data (dict): ``inputs`` (a list over samples, or a list over views of lists over
                samples, as ``pseudo_collate`` / ``default_collate`` give) and
                ``data_samples``.
            training (bool): Unused.

        Returns:
            dict: ``inputs`` as described in the class docstring and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, Tensor):
            batch = self._normalise(inputs)
        elif isinstance(inputs[0], (list, tuple)):  # views, each a list over samples
            batch = [self._normalise(view) for view in inputs]
        else:
            batch = self._normalise(inputs)
        return dict(inputs=batch, data_samples=data.get('data_samples'))
