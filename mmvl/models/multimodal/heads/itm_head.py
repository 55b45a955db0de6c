# Copyright (c) mmvl contributors. All rights reserved.
"""Image-text matching (ITM) head: does this image go with this text?

A linear layer on the fused [CLS] feature predicts matched / not matched (2 classes),
trained with cross-entropy against sampled negative pairs: SOHO (Huang et al., CVPR 2021,
Sec. 3.3), Pixel-BERT (Huang et al., 2020, Sec. 3.3), ALBEF/EVE (with hard negatives). Its
positive logit (or probability) scores pairs for retrieval re-ranking
(:func:`~mmvl.models.multimodal.retrieval.itm_rerank`).
"""
from typing import Literal, Optional

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class ITMHead(BaseModule):
    """Linear -> 2 classes (index 1 = matched).

    Args:
        in_channels (int): Width of the fused [CLS] feature.
        bias (bool): Give the linear layer a bias. Defaults to False.
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, in_channels: int, bias: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, 2, bias=bias)

    def forward(self, cls_feats: Tensor) -> Tensor:
        """Logits (B, 2) from features (B, C)."""
        return self.fc(cls_feats)

    def loss(self, cls_feats: Tensor, itm_labels: Tensor) -> dict:
        """``loss_itm`` (cross-entropy) and ``acc_itm`` (percent, logged only).

        Args:
            cls_feats (Tensor): Fused [CLS] features, shape (B, C).
            itm_labels (Tensor): 1 for matched pairs, 0 otherwise, shape (B,).
        """
        logits = self(cls_feats)
        loss = F.cross_entropy(logits, itm_labels.long())
        acc = 100 * (logits.argmax(dim=1) == itm_labels).float().mean()
        return dict(loss_itm=loss, acc_itm=acc.detach())

    def scores(self, cls_feats: Tensor,
               kind: Literal['logit', 'prob'] = 'logit') -> Tensor:
        """Matching score per pair, shape (B,): the positive logit or its softmax probability."""
        logits = self(cls_feats)
        if kind == 'logit':
            return logits[:, 1]
        if kind == 'prob':
            return logits.softmax(dim=1)[:, 1]
        raise ValueError(f"kind must be 'logit' or 'prob', got {kind!r}")
