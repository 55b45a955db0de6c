# Copyright (c) mmvl contributors. All rights reserved.
"""NLVR2 "pair" head: is the statement true of the two images?

The model encodes (image0, text) and (image1, text) separately; the two fused [CLS] vectors are
concatenated and an MLP predicts True / False, trained with cross-entropy. This is the "Pair"
setting of UNITER / LXMERT used by Pixel-BERT (Huang et al., 2020, Sec. 4.3) and SOHO; EVE's
head is 1536 -> 1536 -> LayerNorm -> GELU -> 2 (code ``models/model_nlvr_beit.py``).
"""
from typing import Literal, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS


def _labels_of(data_samples: Sequence, device) -> Tensor:
    labels = []
    for i, sample in enumerate(data_samples):
        label = sample.get('gt_label')
        if label is None:
            raise KeyError(f'sample {i} has no gt_label (NLVR2: True=1, False=0)')
        labels.append(int(label.item() if isinstance(label, Tensor) else label))
    return torch.as_tensor(labels, dtype=torch.long, device=device)


@MODELS.register_module()
class NLVR2PairHead(BaseModule):
    """MLP on the concatenated [CLS] features of the two image-text pairs.

    Args:
        in_channels (int): Width of one [CLS] feature (the MLP input is twice it).
        hidden_channels (int): Hidden width. Defaults to None (2 x in_channels, EVE).
        num_classes (int): Defaults to 2.
        norm (str): ``'LN'`` (EVE) or ``'none'`` after the hidden layer. Defaults to 'LN'.
        act (str): ``'GELU'`` (EVE) or ``'ReLU'``. Defaults to 'GELU'.
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, in_channels: int, hidden_channels: Optional[int] = None,
                 num_classes: int = 2, norm: Literal['none', 'LN'] = 'LN',
                 act: Literal['ReLU', 'GELU'] = 'GELU', init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if norm not in ('none', 'LN'):
            raise ValueError(f"norm must be 'none' or 'LN', got {norm!r}")
        if act not in ('ReLU', 'GELU'):
            raise ValueError(f"act must be 'ReLU' or 'GELU', got {act!r}")
        hidden_channels = hidden_channels or 2 * in_channels
        layers = [nn.Linear(2 * in_channels, hidden_channels)]
        if norm == 'LN':
            layers.append(nn.LayerNorm(hidden_channels))
        layers += [nn.ReLU() if act == 'ReLU' else nn.GELU(),
                   nn.Linear(hidden_channels, num_classes)]
        self.mlp = nn.Sequential(*layers)

    def forward(self, feat_img0: Tensor, feat_img1: Tensor) -> Tensor:
        """Logits (B, num_classes) from the two [CLS] features, each (B, C)."""
        return self.mlp(torch.cat([feat_img0, feat_img1], dim=1))

    def loss(self, feat_img0: Tensor, feat_img1: Tensor, data_samples: Sequence) -> dict:
        """``loss_nlvr2`` (cross-entropy) and ``acc_nlvr2`` (percent, logged only)."""
        logits = self(feat_img0, feat_img1)
        labels = _labels_of(data_samples, logits.device)
        acc = 100 * (logits.argmax(dim=1) == labels).float().mean()
        return dict(loss_nlvr2=F.cross_entropy(logits, labels), acc_nlvr2=acc.detach())

    def predict(self, feat_img0: Tensor, feat_img1: Tensor, data_samples: Sequence) -> Sequence:
        """Set ``pred_label`` (int) and ``pred_score`` (class probabilities) on each sample."""
        probs = self(feat_img0, feat_img1).softmax(dim=1)
        for sample, prob in zip(data_samples, probs):
            sample.set_pred_score(prob.detach())
            sample.set_pred_label(prob.argmax())
        return data_samples
