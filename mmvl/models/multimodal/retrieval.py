# Copyright (c) mmvl contributors. All rights reserved.
"""Two-stage image-text retrieval: a cheap first-stage score, then ITM on the top-k candidates.

ALBEF (Li et al., NeurIPS 2021, Sec. 5) and EVE (code ``Retrieval.py``): every pair is first
scored by image-text contrast (cosine of the unimodal [CLS] projections); for each query only
the k best candidates are scored again by the fusion encoder's ITM head and every other
candidate gets -100, so it ranks below all re-scored ones. BLIP in mmpretrain does the same
(``compute_score_matrix_i2t``, ``topk=256``). Single-stream models (SOHO, Pixel-BERT) have no
first stage and score every pair by ITM: ``topk=None``.
"""
from typing import Callable, Optional

import torch
from torch import Tensor

#: Score of candidates the re-ranking stage did not look at.
NOT_RERANKED = -100.0


def itm_rerank(first_stage_scores: Tensor, topk: Optional[int],
               score_fn: Callable[[int, Tensor], Tensor]) -> Tensor:
    """Re-score the top-k candidates of every query with ``score_fn``.

    Args:
        first_stage_scores (Tensor): Scores of every (query, candidate) pair, shape (Q, C),
            e.g. ITC similarities.
        topk (int, optional): Candidates re-scored per query. None, or a value >= C, re-scores
            every candidate.
        score_fn (Callable[[int, Tensor], Tensor]): ``score_fn(query_idx, cand_idx)`` returns
            the second-stage scores (e.g. ITM positive logits) of one query against the
            candidates ``cand_idx`` (LongTensor of shape (k,)), shape (k,).

    Returns:
        Tensor: Shape (Q, C): the second-stage score for each query's top-k candidates and
        :data:`NOT_RERANKED` (-100) elsewhere.
    """
    if first_stage_scores.dim() != 2:
        raise ValueError('first_stage_scores must be (num_queries, num_candidates), got shape '
                         f'{tuple(first_stage_scores.shape)}')
    num_queries, num_candidates = first_stage_scores.shape
    k = num_candidates if topk is None else min(int(topk), num_candidates)
    if k <= 0:
        raise ValueError(f'topk must be positive, got {topk}')
    out = torch.full_like(first_stage_scores, NOT_RERANKED, dtype=torch.float)
    for q in range(num_queries):
        if k == num_candidates:
            cand = torch.arange(num_candidates, device=first_stage_scores.device)
        else:
            cand = first_stage_scores[q].topk(k).indices
        scores = score_fn(q, cand)
        if scores.shape != cand.shape:
            raise ValueError(f'score_fn returned shape {tuple(scores.shape)} for {k} candidates')
        out[q, cand] = scores.float()
    return out
