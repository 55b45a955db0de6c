# Copyright (c) mmvl contributors. All rights reserved.
"""Action recognition on clips with multi-view (clips x crops) test averaging.

mmpretrain's ``ImageClassifier`` (backbone, optional neck, ``ClsHead``-style head) applied to
every view of a video; at test time the class scores of the V = num_clips x num_crops views
are averaged (mmaction2 ``Recognizer3D`` with ``average_clips``), as in the multi-view testing
of VideoMAE and CMAE-V (here 2 clips x 3 crops for Kinetics-400 and Something-Something V2). Training batches can be
mixed with Mixup / CutMix (``train_cfg``, as mmpretrain's ``ImageClassifier``; VideoMAE's
fine-tuning recipe).
"""
from typing import List, Literal, Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample
from torch import Tensor

from mmvl.registry import MODELS

AVERAGES = ('prob', 'score')


@MODELS.register_module()
class VideoRecognizer(ImageClassifier):
    """Video classifier: per-view features and scores, averaged over views at test time.

    Inputs are B x V x C x T x H x W (``PackVideoInputs(mode='views')`` +
    ``VideoDataPreprocessor``). Training takes one view per video (V = 1), as VideoMAE's
    fine-tuning does.

    Args:
        backbone (dict): Clip encoder returning a tuple of features, e.g. ``VideoViT`` with
            ``out_type='avg_featmap'``.
        head (dict): Classification head, e.g. mmpretrain ``LinearClsHead``.
        neck (dict, optional): Neck between them. Defaults to None.
        average_clips (str): ``'prob'`` averages softmax probabilities (mmaction2's VideoMAE
            configs), ``'score'`` averages logits before the softmax. Defaults to ``'prob'``.
        train_cfg (dict, optional): Batch augments as mmpretrain's ``ImageClassifier`` takes
            them, e.g. ``dict(augments=[dict(type='Mixup', alpha=0.8),
            dict(type='CutMix', alpha=1.0)])`` (VideoMAE's fine-tuning); handed to the data
            preprocessor as ``batch_augments``, which mixes whole clips (the same CutMix box
            in every frame) and the labels, with ``num_classes`` taken from the head.
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to ``VideoDataPreprocessor``.
        **kwargs: Other ``ImageClassifier`` arguments.
    """

    def __init__(self, backbone: dict, head: dict, neck: Optional[dict] = None,
                 average_clips: Literal['prob', 'score'] = 'prob',
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, **kwargs) -> None:
        if average_clips not in AVERAGES:
            raise ValueError(f'average_clips must be one of {AVERAGES}, got {average_clips!r}')
        preprocessor = dict(data_preprocessor or {})
        preprocessor.setdefault('type', 'VideoDataPreprocessor')
        if train_cfg and train_cfg.get('augments'):
            if preprocessor.get('batch_augments'):
                raise ValueError('give the batch augments once: train_cfg or '
                                 'data_preprocessor.batch_augments, not both')
            preprocessor['batch_augments'] = train_cfg
            num_classes = head.get('num_classes') if isinstance(head, dict) else None
            preprocessor.setdefault('num_classes', num_classes)
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=MODELS.build(preprocessor), **kwargs)
        self.average_clips = average_clips

    @staticmethod
    def _views(inputs: Tensor) -> Tuple[Tensor, int]:
        if inputs.dim() != 6:
            raise ValueError('VideoRecognizer expects inputs B x V x C x T x H x W, got shape '
                             f'{tuple(inputs.shape)}')
        return inputs.flatten(0, 1), inputs.shape[1]

    def extract_feat(self, inputs: Tensor, stage: str = 'neck') -> Tuple[Tensor, ...]:
        """Features of every view, B*V first (views of one video adjacent)."""
        flat, _ = self._views(inputs)
        return super().extract_feat(flat, stage)

    def loss(self, inputs: Tensor, data_samples: List[DataSample]) -> dict:
        """Classification loss of one view per video."""
        if inputs.dim() == 6 and inputs.shape[1] != 1:
            raise ValueError(f'training takes one view per video, got {inputs.shape[1]}; use '
                             'num_clips=1 and no multi-crop in the train pipeline')
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def average_views(self, scores: Tensor, num_views: int) -> Tensor:
        """Average B*V x K logits over the views: B x K probabilities."""
        scores = scores.view(-1, num_views, scores.shape[-1])
        if self.average_clips == 'prob':
            return F.softmax(scores, dim=-1).mean(dim=1)
        return F.softmax(scores.mean(dim=1), dim=-1)

    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """Class probabilities averaged over the views, as ``pred_score`` / ``pred_label``."""
        _, num_views = self._views(inputs)
        scores = self.head(self.extract_feat(inputs))
        probs = self.average_views(scores, num_views)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(probs))]
        for sample, prob in zip(data_samples, probs):
            sample.set_pred_score(prob).set_pred_label(prob.argmax(dim=0, keepdim=True))
        return data_samples
