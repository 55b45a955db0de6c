# Copyright (c) mmvl contributors. All rights reserved.
"""SOHO's visual dictionary (VD).

"Seeing Out of tHe bOx: End-to-End Pre-training for Vision-Language Representation
Learning", Huang et al., CVPR 2021, Sec. 3.2; released code github.com/researchmm/soho@95824a8
(``SOHO/models/necks/utils.py``, ``SOHO_Pre_VD``), read and re-implemented.

Every visual feature vector ``v`` is replaced by its nearest dictionary entry ``e_k`` (L2);
the entries are not learned by gradient but follow a moving average of the features assigned
to them. With ``n_k`` the number of features assigned to entry k in this step over all ranks
and ``s_k`` their sum:

    N_k <- d N_k + (1 - d) n_k
    S_k <- d S_k + (1 - d) s_k
    e_k <- S_k / N~_k,   N~_k = (N_k + eps) / (sum_j N_j + K eps) * sum_j N_j  (Laplace)

and ``e`` is then averaged over ranks. The output uses the straight-through estimator
``q = sg(e_k - v) + v``: its value is ``e_k`` and its gradient flows to ``v`` (the CNN).
The released config uses d = 0.4 (its decay warm-up is never called).
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, is_distributed
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class VisualDictionary(BaseModule):
    """Nearest-entry quantisation with an EMA-updated dictionary (SOHO Sec. 3.2).

    Args:
        num_tokens (int): Dictionary size K (SOHO: 2048).
        dims (int): Entry width (the BERT width).
        decay (float): EMA decay d (SOHO's config: 0.4). Defaults to 0.4.
        eps (float): Laplace smoothing of the cluster sizes. Defaults to 1e-5.

    Buffers: ``embed`` (K x C, initialised N(0, 1)), ``cluster_size`` (K), ``embed_avg``
    (K x C), as named in the authors' checkpoint (plus their unused ``cluster_sum``).
    """

    def __init__(self, num_tokens: int, dims: int, decay: float = 0.4,
                 eps: float = 1e-5) -> None:
        super().__init__()
        if num_tokens <= 0:
            raise ValueError(f'VisualDictionary: num_tokens must be > 0, got {num_tokens}')
        if not 0 <= decay < 1:
            raise ValueError(f'VisualDictionary: decay must be in [0, 1), got {decay}')
        if eps <= 0:
            raise ValueError(f'VisualDictionary: eps must be > 0, got {eps}')
        self.num_tokens = num_tokens
        self.dims = dims
        self.decay = decay
        self.eps = eps
        self.register_buffer('embed', torch.randn(num_tokens, dims))
        self.register_buffer('cluster_size', torch.zeros(num_tokens))
        self.register_buffer('cluster_sum', torch.zeros(num_tokens))
        self.register_buffer('embed_avg', torch.zeros(num_tokens, dims))

    def assign(self, x: Tensor) -> Tensor:
        """Index of the nearest entry (L2) for each row of ``x`` (N x C) -> N."""
        dist = (x.pow(2).sum(1, keepdim=True) + self.embed.pow(2).sum(1)
                - 2 * x @ self.embed.t())
        return dist.argmin(1)

    @torch.no_grad()
    def update(self, x: Tensor, indices: Tensor) -> None:
        """One EMA step from the features ``x`` (N x C) assigned to ``indices`` (N).

        Counts and sums are summed over ranks before the EMA, and the new entries averaged
        over ranks after it, as in the released code; without a process group both
        reductions are skipped, which gives the same result as one rank.
        """
        onehot = F.one_hot(indices, self.num_tokens).to(x.dtype)
        counts = onehot.sum(0)
        sums = onehot.t() @ x.detach()
        distributed = is_distributed()
        if distributed:
            all_reduce(counts, op='sum')
            all_reduce(sums, op='sum')
        self.cluster_sum.add_(counts)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_avg.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        total = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (total + self.num_tokens * self.eps) * total
        embed = self.embed_avg / smoothed.unsqueeze(1)
        if distributed:
            all_reduce(embed, op='mean')
        self.embed.copy_(embed)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Quantise ``x`` (N x C); in training also update the dictionary.

        Returns:
            tuple:
            - quantized (Tensor): N x C, value of the (updated) entries, gradient to ``x``.
            - indices (Tensor): N, the assigned entries.
        """
        indices = self.assign(x.detach())
        if self.training:
            self.update(x, indices)
        quantized = self.embed[indices]
        return (quantized - x).detach() + x, indices
