# Copyright (c) mmvl contributors. All rights reserved.
"""IoU-aware scoring and NMS + top-k selection for one-to-many trained DETR-like models.

UNINEXT ("Universal Instance Perception as Object Discovery and Retrieval", Yan et al., CVPR
2023) ranks its detections by ``sqrt(class probability x predicted IoU)`` and, because its
decoder is trained with one-to-many assignment, runs a class-aware NMS (IoU 0.7) over the
queries before the top-k over (query, class) pairs. SWORD ("Exploring Transformers for
Open-world Instance Segmentation", Wu et al., ICCV 2023) adds box- and mask-IoU heads for the
same purpose. Kept apart from the heads so that
the rule can be tested alone.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmcv.ops import batched_nms
from torch import Tensor

SCORE_FORMS = ('geometric', 'product', 'class')


def iou_aware_scores(cls_probs: Tensor, iou_probs: Sequence[Tensor] = (),
                     form: str = 'geometric') -> Tensor:
    """Combine class probabilities (N, C) with predicted IoUs (each (N,)) into scores (N, C).

    ``'geometric'``: the geometric mean of the class probability and every IoU
    (UNINEXT's ``sqrt(cls x IoU)`` with one IoU); ``'product'``: their product; ``'class'``:
    the class probability alone (the IoUs are ignored).
    """
    if form not in SCORE_FORMS:
        raise ValueError(f'unknown score form {form!r}; expected one of {SCORE_FORMS}')
    if form == 'class' or not iou_probs:
        return cls_probs
    product = cls_probs
    for iou in iou_probs:
        product = product * iou.clamp(min=0)[:, None]
    if form == 'product':
        return product
    return product.pow(1.0 / (1 + len(iou_probs)))


def select_detections(scores: Tensor,
                      bboxes: Tensor,
                      max_per_img: int = 100,
                      nms_cfg: Optional[dict] = None,
                      score_thr: float = 0.0) -> Tuple[Tensor, Tensor, Tensor]:
    """Top-k over (query, class) pairs, after UNINEXT's class-aware NMS over queries.

    The NMS runs once per query (UNINEXT's ``uninext_img.py`` inference): each query enters
    with its best score and its best class as the NMS group, and a query that survives keeps
    all its class scores for the top-k. With one class this is plain NMS over the queries.

    Args:
        scores (Tensor): (N, C) scores of N queries.
        bboxes (Tensor): (N, 4) boxes (x1, y1, x2, y2) of the queries.
        max_per_img (int): At most this many detections.
        nms_cfg (dict, optional): mmcv ``batched_nms`` config, e.g.
            ``dict(type='nms', iou_threshold=0.7)``; None keeps every query.
        score_thr (float): Pairs scoring at or below this are dropped.

    Returns:
        tuple[Tensor, Tensor, Tensor]: scores (K,), labels (K,) and query indices (K,),
        by decreasing score.
    """
    num_classes = scores.size(1)
    queries = torch.arange(scores.size(0), device=scores.device)
    if nms_cfg is not None and scores.numel() > 0:
        best_scores, best_labels = scores.max(dim=1)
        _, queries = batched_nms(bboxes, best_scores.contiguous(), best_labels, nms_cfg)
    flat = scores[queries].reshape(-1)
    keep = (flat > score_thr).nonzero(as_tuple=True)[0]
    flat_scores = flat[keep]
    order = flat_scores.argsort(descending=True)[:max_per_img]
    keep = keep[order]
    return flat_scores[order], keep % num_classes, queries[torch.div(
        keep, num_classes, rounding_mode='floor')]
