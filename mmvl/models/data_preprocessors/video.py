# Copyright (c) mmvl contributors. All rights reserved.
"""Normalise batches of video clips (mmaction2 ``ActionDataPreprocessor``, format NCTHW), with
mmpretrain's batch augments (Mixup, CutMix) applied to whole clips."""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseDataPreprocessor
from mmpretrain.models.utils.batch_augments import RandomBatchAugment
from mmpretrain.structures import DataSample, batch_label_to_onehot, cat_batch_labels
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

    Batch augments (training only): VideoMAE's fine-tuning mixes clips with Mixup (alpha 0.8)
    or CutMix (alpha 1.0), one of the two per batch, with the box of CutMix the same in every
    frame (its released ``mixup.py`` cuts ``x[..., y0:y1, x0:x1]``). mmpretrain's
    ``RandomBatchAugment`` and its ``Mixup`` / ``CutMix`` / ``ResizeMix`` are used unchanged on
    the batch folded to B x (V * C * T) x H x W, so every spatial op acts on every frame
    alike; the one-hot labels are mixed with the same lambda and stored as ``gt_score`` (which
    ``ClsHead`` losses, e.g. ``LabelSmoothLoss``, take as soft targets).

    Args:
        mean (Sequence[float]): Per-channel mean (RGB, 0-255). Defaults to ImageNet's.
        std (Sequence[float]): Per-channel std. Defaults to ImageNet's.
        num_classes (int, optional): Classes of the one-hot labels that batch augments mix;
            required with ``batch_augments``. Defaults to None.
        batch_augments (dict, optional): ``RandomBatchAugment`` arguments, e.g.
            ``dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)])``
            (mmpretrain ``ImageClassifier``'s ``train_cfg``); its ``batch_augments``
            attribute is the replaceable random component. Defaults to None.
        non_blocking (bool): Copy to the device without blocking. Defaults to False.
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 num_classes: Optional[int] = None, batch_augments: Optional[dict] = None,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking)
        if len(mean) != len(std):
            raise ValueError(f'mean and std differ in length: {mean}, {std}')
        self.register_buffer('mean', torch.tensor(mean).view(-1, 1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std).view(-1, 1, 1, 1), False)
        self.num_classes = num_classes
        self.batch_augments = None
        if batch_augments:
            if num_classes is None:
                raise ValueError('VideoDataPreprocessor: batch_augments need num_classes to '
                                 'build one-hot labels')
            # a copy: RandomBatchAugment appends to the caller's ``probs`` list
            self.batch_augments = RandomBatchAugment(**copy.deepcopy(batch_augments))

    def _normalise(self, clips: Tensor) -> Tensor:
        channels = clips.shape[-4]
        if channels != len(self.mean):
            raise ValueError(f'clips have {channels} channels (shape {tuple(clips.shape)}), '
                             f'the preprocessor normalises {len(self.mean)}')
        return (clips.float() - self.mean) / self.std

    def _scores(self, data_samples: List[DataSample]) -> Tensor:
        """B x K one-hot labels (or the samples' own ``gt_score``)."""
        if 'gt_score' in data_samples[0]:
            return torch.stack([s.gt_score for s in data_samples]).float().to(self.device)
        labels, indices = cat_batch_labels([s.gt_label for s in data_samples])
        if labels.numel() and int(labels.max()) >= self.num_classes:
            raise ValueError(f'label {int(labels.max())} outside [0, {self.num_classes}) '
                             '(VideoDataPreprocessor num_classes)')
        return batch_label_to_onehot(labels, indices, self.num_classes).float().to(self.device)

    def mix(self, clips: Tensor, data_samples: List[DataSample]
            ) -> Tuple[Tensor, List[DataSample]]:
        """Apply the batch augment to B x ... x C x T x H x W clips and their labels.

        Returns:
            tuple:
            - Tensor: the mixed clips, same shape.
            - list[DataSample]: the samples with the mixed labels as ``gt_score`` (B x K).
        """
        folded = clips.reshape(clips.shape[0], -1, *clips.shape[-2:])
        mixed, scores = self.batch_augments(folded, self._scores(data_samples))
        for sample, score in zip(data_samples, scores):
            sample.set_gt_score(score)
        return mixed.reshape(clips.shape), data_samples

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise ``data['inputs']`` (and mix a training batch); ``data_samples`` pass
        through, with ``gt_score`` set when mixed.

        Args:
            data (dict): ``inputs`` collated by ``default_collate`` (as mmpretrain's configs
                do): a tensor, or a list of tensors (one per view); and ``data_samples``.
            training (bool): Apply the batch augments. Defaults to False.

        Returns:
            dict: ``inputs`` as described in the class docstring and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        samples = data.get('data_samples')
        if isinstance(inputs, Tensor):
            batch = self._normalise(inputs)
        elif isinstance(inputs, (list, tuple)) and all(isinstance(v, Tensor) for v in inputs):
            batch = [self._normalise(view) for view in inputs]
        else:
            raise TypeError('VideoDataPreprocessor needs inputs collated by default_collate '
                            "(collate_fn=dict(type='default_collate')): a tensor or a list of "
                            f'tensors, got {type(inputs).__name__}')
        if training and self.batch_augments is not None and samples:
            if not isinstance(batch, Tensor):
                raise TypeError('VideoDataPreprocessor: batch augments need one tensor of '
                                'clips per batch, got a list of views')
            batch, samples = self.mix(batch, samples)
        return dict(inputs=batch, data_samples=samples)
