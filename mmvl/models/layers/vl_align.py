# Copyright (c) mmvl contributors. All rights reserved.
"""UNINEXT's retrieval head: vision-language alignment logits between queries and prompts."""
import torch
import torch.nn.functional as F
from mmengine.model import bias_init_with_prob
from torch import Tensor, nn

from mmvl.registry import MODELS

LOGIT_CLAMP = 50000.0


@MODELS.register_module()
class VLAlign(nn.Module):
    """Query x prompt-token logits with a learnable scale and a token-dependent bias.

    UNINEXT ("Universal Instance Perception as Object Discovery and Retrieval", Yan et al.,
    CVPR 2023, Sec. 3.3, "object retrieval") scores each object query against each prompt
    token, as GLIP's dot-product head does::

        t' = normalize(t)
        logit(q, t) = <q, W t' / 2> / exp(log_scale) + <t', b_lang> + b_0

    clamped to +-5e4. Padding tokens get ``-5e4``, so their sigmoid is 0.

    Args:
        embed_dims (int): Query width. Defaults to 256.
        text_dims (int): Token width. Defaults to 768 (BERT-base).
        prior_prob (float): Initial probability of every logit (``b_0``). Defaults to 0.01.
    """

    def __init__(self, embed_dims: int = 256, text_dims: int = 768,
                 prior_prob: float = 0.01) -> None:
        super().__init__()
        self.prior_prob = prior_prob
        self.text_proj = nn.Linear(text_dims, embed_dims)
        self.log_scale = nn.Parameter(torch.zeros(1))
        self.bias_lang = nn.Parameter(torch.zeros(text_dims))
        self.bias0 = nn.Parameter(torch.full((1, ), bias_init_with_prob(prior_prob)))

    def forward(self, queries: Tensor, text: Tensor, text_mask: Tensor) -> Tensor:
        """Logits (B, Q, L) of queries (B, Q, C) against tokens (B, L, D) with mask (B, L)."""
        text = F.normalize(text, p=2, dim=-1)
        tokens = self.text_proj(text / 2.0)
        bias = text @ self.bias_lang + self.bias0  # (B, L)
        logits = queries @ tokens.transpose(1, 2) / self.log_scale.exp() + bias[:, None]
        logits = logits.clamp(min=-LOGIT_CLAMP, max=LOGIT_CLAMP)
        return logits.masked_fill(~text_mask.bool()[:, None], -LOGIT_CLAMP)
