# Copyright (c) mmvl contributors. All rights reserved.
"""Recall@K for image-text retrieval (text retrieval TR = image->text, image retrieval IR).

A query is a hit at K when one of its ground-truth candidates is among its K best-scored
candidates; R@K is the share of hits x 100. COCO 5K / 1K and Flickr30K 1K report R@1/5/10 in
both directions (Karpathy & Fei-Fei, CVPR 2015; UNITER, ALBEF, SOHO, Pixel-BERT).

Drop-in for mmpretrain's ``RetrievalRecall`` (same arguments, samples and metric names), which
mmpretrain's ``RetrievalValLoop`` / ``RetrievalTestLoop`` call once per direction (prefixing
``i2t/`` and ``t2i/``). mmpretrain's version tests membership with ``np.in1d``, which numpy 2.x
removed; this one ranks with torch.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from torch import Tensor

from mmvl.registry import METRICS


def recall_at_k(scores: Tensor, positives: Sequence[Sequence[int]],
                topk: Sequence[int]) -> Dict[int, Tensor]:
    """Hits of each query at each K.

    Args:
        scores (Tensor): Scores of every candidate per query, shape (Q, C).
        positives (Sequence[Sequence[int]]): Indices of each query's ground-truth candidates.
        topk (Sequence[int]): The K values.

    Returns:
        dict[int, Tensor]: For each K, a bool tensor (Q,): a positive is in the top K.
    """
    if scores.dim() == 1:
        scores = scores[None]
    if len(positives) != len(scores):
        raise ValueError(f'{len(scores)} score rows but {len(positives)} ground-truth lists')
    # rank of the best positive = number of candidates scored strictly higher than it
    ranks = []
    for row, pos in zip(scores, positives):
        pos = torch.as_tensor(list(pos), dtype=torch.long)
        if pos.numel() == 0:
            raise ValueError('a retrieval query has no ground-truth candidate')
        best = row[pos].max()
        ranks.append(int((row > best).sum()))
    ranks = torch.tensor(ranks)
    return {k: ranks < k for k in topk}


def _as_index_list(label) -> List[int]:
    if isinstance(label, Tensor):
        return label.flatten().tolist()
    if isinstance(label, (list, tuple)):
        return [int(x) for x in label]
    return [int(label)]


@METRICS.register_module()
class VLRetrievalRecall(BaseMetric):
    """Recall@K of retrieval queries.

    Reads ``pred_score`` (Tensor over all candidates) and ``gt_label`` (int, list or Tensor of
    the ground-truth candidate indices) of each query sample: image-to-text samples
    (``gt_label`` = ``gt_text_id``) or text-to-image samples (``gt_label`` = the image index).

    Args:
        topk (int | Sequence[int]): The K values. Defaults to (1, 5, 10).
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to None (``'retrieval'``).
    """
    default_prefix: Optional[str] = 'retrieval'

    def __init__(self, topk: Union[int, Sequence[int]] = (1, 5, 10),
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not topk or any(k <= 0 for k in topk):
            raise ValueError(f'topk must hold positive integers, got {topk}')
        self.topk = topk
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each query's hits at every K."""
        for sample in data_samples:
            if 'pred_score' not in sample or 'gt_label' not in sample:
                raise KeyError('VLRetrievalRecall needs `pred_score` and `gt_label` per query')
            hits = recall_at_k(sample['pred_score'].detach().cpu().float(),
                               [_as_index_list(sample['gt_label'])], self.topk)
            self.results.append({k: bool(v[0]) for k, v in hits.items()})

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """``Recall@K`` x 100 for every K."""
        return {f'Recall@{k}': 100.0 * sum(r[k] for r in results) / len(results)
                for k in self.topk}
