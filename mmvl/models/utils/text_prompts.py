# Copyright (c) mmvl contributors. All rights reserved.
"""Prompts for UNINEXT's retrieval: category-name captions and their token maps.

UNINEXT ("Universal Instance Perception as Object Discovery and Retrieval", Yan et al.,
CVPR 2023, Sec. 3.1) turns category names into one GLIP-style caption, ``"cat. dog"``, and
retrieves an object by the tokens of its name: ``positive_map[i, t]`` is True when token t
belongs to entity i. A language expression is one entity whose tokens are mean-pooled into
a single prompt vector, so after pooling its map is the first token slot alone.
"""
from typing import List, Sequence, Tuple

import torch
from mmdet.models.detectors.glip import create_positive_map
from torch import Tensor

CATEGORY_SEPARATOR = '. '

Span = Tuple[int, int]


def category_caption(names: Sequence[str]) -> Tuple[str, List[List[Span]]]:
    """Join category names with ``". "`` (no trailing separator, as the authors' data
    mapper builds it) and give each name's character span.

    >>> category_caption(['cat', 'hot dog'])
    ('cat. hot dog', [[(0, 3)], [(5, 12)]])
    """
    caption, spans = '', []
    for name in names:
        name = name.replace('_', ' ').strip()
        if caption:
            caption += CATEGORY_SEPARATOR
        spans.append([(len(caption), len(caption) + len(name))])
        caption += name
    return caption, spans


def entity_token_map(tokenized, spans: Sequence[Sequence[Span]], num_tokens: int,
                     batch_index: int = 0) -> Tensor:
    """Boolean (num_entities, num_tokens) map of the tokens of every entity.

    ``tokenized`` is a HuggingFace fast-tokenizer batch; ``batch_index`` selects its caption.
    An entity cut off by truncation has an all-False row.
    """
    return create_positive_map(_select(tokenized, batch_index), [list(s) for s in spans],
                               num_tokens) > 0


def _select(tokenized, index: int):
    """A one-caption view of a tokenized batch for ``char_to_token``."""

    class _One:

        def char_to_token(self, char_index: int):
            return tokenized.char_to_token(index, char_index)

    return _One()


def pooled_prompt_map(num_tokens: int, device=None) -> Tensor:
    """The (1, num_tokens) map of a pooled expression: only the first slot."""
    token_map = torch.zeros((1, num_tokens), dtype=torch.bool, device=device)
    token_map[0, 0] = True
    return token_map


def masked_mean(features: Tensor, mask: Tensor) -> Tensor:
    """Mean of (B, L, C) ``features`` over the positions where ``mask`` (B, L) is set."""
    mask = mask.to(features.dtype).unsqueeze(-1)
    return (features * mask).sum(1) / mask.sum(1).clamp(min=1.0)
