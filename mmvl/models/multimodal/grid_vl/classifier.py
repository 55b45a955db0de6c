# Copyright (c) mmvl contributors. All rights reserved.
"""Sentence-level classification with a grid-feature VL encoder (SNLI-VE with SOHO).

SOHO (CVPR 2021, abstract: +6.7 accuracy on SNLI-VE test) reports visual entailment, but its
released code (github.com/researchmm/soho@95824a8) has no SNLI-VE model. As for VQA, the
fused [CLS] output of (image, hypothesis) is classified, here into SNLI-VE's 3 classes
(entailment / neutral / contradiction) with a stock mmpretrain classification head and
cross-entropy on ``gt_label``.
"""
from typing import List

from torch import Tensor

from mmvl.registry import MODELS
from .base import GridVLBaseModel


@MODELS.register_module()
class GridVLClassifier(GridVLBaseModel):
    """Classify each (image, text) pair from its fused [CLS] feature.

    Args:
        encoder (dict): Config of :class:`GridVLEncoder`.
        head (dict): Config of an mmpretrain ``ClsHead`` (e.g.
            ``mmpretrain.StackedLinearClsHead``); ``in_channels`` is filled in. It receives the
            [CLS] feature as a one-element tuple, as mmpretrain necks pass features.
        **kwargs: ``data_preprocessor``, ``init_cfg`` of :class:`GridVLBaseModel`.
    """

    def __init__(self, encoder: dict, head: dict, **kwargs) -> None:
        super().__init__(encoder, **kwargs)
        self.head = MODELS.build(dict(head, in_channels=self.hidden_size))

    def loss(self, images: Tensor, data_samples: List) -> dict:
        """The head's loss (cross-entropy against ``gt_label``)."""
        return self.head.loss((self.extract_feat(images, data_samples)[:, 0], ), data_samples)

    def predict(self, images: Tensor, data_samples: List) -> List:
        """Set ``pred_label`` and ``pred_score`` on each sample."""
        return self.head.predict((self.extract_feat(images, data_samples)[:, 0], ),
                                 data_samples)
