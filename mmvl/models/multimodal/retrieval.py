# Copyright (c) mmvl contributors. All rights reserved.
"""Two-stage image-text retrieval: a cheap first-stage score, then ITM on the top-k candidates.

ALBEF (Li et al., NeurIPS 2021, Sec. 5) and EVE (code ``Retrieval.py``): every pair is first
scored by image-text contrast (cosine of the unimodal [CLS] projections); for each query only
the k best candidates are scored again by the fusion encoder's ITM head and every other
candidate gets -100, so it ranks below all re-scored ones. BLIP in mmpretrain does the same
(``compute_score_matrix_i2t``, ``topk=256``). Single-stream models (SOHO, Pixel-BERT) have no
first stage and score every pair by ITM: ``topk=None``.
"""
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
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


def itc_similarity(image_feats: Tensor, text_feats: Tensor) -> Tensor:
    """Cosine similarity of every image with every text (the ITC first stage).

    Args:
        image_feats (Tensor): Projected image [CLS] features, shape (I, D).
        text_feats (Tensor): Projected text [CLS] features, shape (T, D).

    Returns:
        Tensor: Shape (I, T). (ALBEF divides by a temperature, 0.07, for its loss; the ranking
        does not depend on it.)
    """
    return F.normalize(image_feats, dim=-1) @ F.normalize(text_feats, dim=-1).t()


def two_stage_retrieval(first_stage_i2t: Tensor, topk: Optional[int],
                        pair_scores: Callable[[Tensor, Tensor], Tensor]
                        ) -> Tuple[Tensor, Tensor]:
    """Image->text and text->image score matrices by top-k re-ranking in each direction.

    Each direction keeps its own candidates: the k best texts of every image, and the k best
    images of every text (ALBEF / EVE ``Retrieval.py`` evaluate both matrices so).

    Args:
        first_stage_i2t (Tensor): First-stage scores, shape (I, T), e.g. :func:`itc_similarity`.
        topk (int, optional): Candidates re-scored per query; None scores every pair.
        pair_scores (Callable[[Tensor, Tensor], Tensor]): ``pair_scores(image_idx, text_idx)``
            returns the ITM score of each (image_idx[j], text_idx[j]) pair, shape (n,).

    Returns:
        tuple[Tensor, Tensor]: ``i2t`` (I, T) and ``t2i`` (T, I), -100 where not re-scored.
    """
    i2t = itm_rerank(first_stage_i2t, topk,
                     lambda i, cand: pair_scores(torch.full_like(cand, i), cand))
    t2i = itm_rerank(first_stage_i2t.t(), topk,
                     lambda t, cand: pair_scores(cand, torch.full_like(cand, t)))
    return i2t, t2i
