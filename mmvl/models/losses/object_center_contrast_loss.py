# Copyright (c) mmvl contributors. All rights reserved.
"""SWORD's contrastive loss between object queries, background queries and the object centre.

SWORD ("Exploring Transformers for Open-world Instance Segmentation", Wu et al., ICCV 2023)
enlarges the distance between object and background queries: a universal object queue gives
the object centre, positives and negatives are selected dynamically from the decoder's
object queries, and a contrastive loss pulls positives to the centre and pushes negatives
from it. The paper gives no formula beyond that; mmvl's reading (see configs/sword/README.md):

* positives: queries assigned to a ground-truth object, or whose box overlaps one with
  IoU >= ``pos_iou_thr``;
* negatives: queries whose IoU with every ground truth is < ``neg_iou_thr`` *and* whose
  objectness is < ``neg_score_thr`` -- a query on an unannotated (novel) object usually has
  a confident objectness and is therefore not pushed away -- at most ``max_negatives`` per
  image, the least object-like first;
* loss: for every positive p, InfoNCE with the centre c as the key,
  ``-log(exp(p.c / t) / (exp(p.c / t) + sum_n exp(n.c / t)))`` over the image's negatives n.
  It contrasts objects *against* background: an image without negatives adds zero (there is
  no pull towards the centre on its own).
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmvl.registry import MODELS


def select_object_background(max_ious: Tensor,
                             assigned: Tensor,
                             scores: Tensor,
                             pos_iou_thr: float = 0.7,
                             neg_iou_thr: float = 0.3,
                             neg_score_thr: float = 0.3,
                             max_negatives: int = 64) -> Tuple[Tensor, Tensor]:
    """Positive (object) and negative (background) queries of one image.

    Args:
        max_ious (Tensor): (N,) each query's highest box IoU with the ground truths
            (zeros when there are none).
        assigned (Tensor): (N,) bool, the query is assigned to a ground truth.
        scores (Tensor): (N,) objectness probabilities.
        pos_iou_thr (float): IoU at or above which an unassigned query is a positive.
        neg_iou_thr (float): A negative's IoU with every ground truth is below this.
        neg_score_thr (float): A negative's objectness is below this.
        max_negatives (int): At most this many negatives, lowest objectness first.

    Returns:
        tuple[Tensor, Tensor]: (N,) bool masks of positives and negatives (disjoint).
    """
    positive = assigned | (max_ious >= pos_iou_thr)
    candidate = ~positive & (max_ious < neg_iou_thr) & (scores < neg_score_thr)
    negative = torch.zeros_like(candidate)
    idx = candidate.nonzero(as_tuple=True)[0]
    if idx.numel() > max_negatives:
        idx = idx[scores[idx].argsort()[:max_negatives]]
    negative[idx] = True
    return positive, negative


@MODELS.register_module()
class ObjectCenterContrastLoss(nn.Module):
    """InfoNCE of positives against negatives with the object centre as the key.

    Args:
        temperature (float): Softmax temperature. Defaults to 0.1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, temperature: float = 0.1, loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, positives: Tensor, negatives: Tensor, center: Tensor) -> Tensor:
        """Mean loss over the positives.

        Args:
            positives (Tensor): (P, D) embeddings (normalised here).
            negatives (Tensor): (M, D) embeddings of the same image (normalised here).
            center (Tensor): (D,) the object centre (treated as a constant).

        Returns:
            Tensor: The weighted loss; zero (with a graph) when there is no positive.
        """
        if positives.numel() == 0:
            return positives.sum() * 0.0 + negatives.sum() * 0.0
        center = F.normalize(center.detach(), dim=0)
        pos_logits = F.normalize(positives, dim=-1) @ center / self.temperature  # (P,)
        neg_logits = F.normalize(negatives, dim=-1) @ center / self.temperature  # (M,)
        logits = torch.cat(
            [pos_logits[:, None], neg_logits[None].expand(pos_logits.size(0), -1)], dim=1)
        loss = torch.logsumexp(logits, dim=1) - pos_logits
        return self.loss_weight * loss.mean()
