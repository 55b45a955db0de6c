# Copyright (c) mmvl contributors. All rights reserved.
"""MCAN: deep modular co-attention over question tokens and regions.

Yu et al., "Deep Modular Co-Attention Networks for Visual Question Answering" (CVPR 2019,
§3-4), the encoder-decoder form: L self-attention (SA) layers encode the question; L
self-guided-attention (SGA) layers attend the regions to themselves and then to the encoded
question; an attentional reduction (AttFlat) pools each side, and the sum of the two pooled
vectors (after LayerNorm) feeds the answer classifier. "Learning Rich Image Region
Representation for VQA" (arXiv 1910.13077, §3) feeds such heads with BERT token features.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS
from .butd_head import box_features


class FeedForward(nn.Sequential):
    """d -> 4d -> ReLU -> dropout -> d."""

    def __init__(self, dims: int, dropout: float) -> None:
        super().__init__(nn.Linear(dims, 4 * dims), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(4 * dims, dims))


class SGALayer(nn.Module):
    """Self attention, then (with ``guided``) attention to a guide sequence, then a feed-forward
    block; each with a residual connection and post-LayerNorm (MCAN §3.1). Without ``guided``
    it is MCAN's SA unit."""

    def __init__(self, dims: int, num_heads: int, dropout: float, guided: bool) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(dims, num_heads, dropout, batch_first=True)
        self.norm1 = nn.LayerNorm(dims)
        self.guided_attn = (nn.MultiheadAttention(dims, num_heads, dropout, batch_first=True)
                            if guided else None)
        self.norm2 = nn.LayerNorm(dims) if guided else None
        self.ffn = FeedForward(dims, dropout)
        self.norm3 = nn.LayerNorm(dims)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, x_pad: Tensor, guide: Optional[Tensor] = None,
                guide_pad: Optional[Tensor] = None) -> Tensor:
        """``x_pad`` / ``guide_pad``: B x N, True at padding (never attended to)."""
        x = self.norm1(x + self.dropout(self.self_attn(x, x, x, key_padding_mask=x_pad)[0]))
        if self.guided_attn is not None:
            attended = self.guided_attn(x, guide, guide, key_padding_mask=guide_pad)[0]
            x = self.norm2(x + self.dropout(attended))
        return self.norm3(x + self.dropout(self.ffn(x)))


class AttFlat(nn.Module):
    """Attentional reduction: softmax weights from an MLP over the valid positions, the
    weighted sum, then a linear layer (MCAN §4)."""

    def __init__(self, dims: int, out_dims: int, dropout: float) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dims, dims), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(dims, 1))
        self.merge = nn.Linear(dims, out_dims)

    def weights(self, x: Tensor, valid: Tensor) -> Tensor:
        """B x N weights; padding (``valid`` False) gets exactly zero."""
        return self.mlp(x).squeeze(-1).masked_fill(~valid, float('-inf')).softmax(dim=1)

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        return self.merge((self.weights(x, valid).unsqueeze(-1) * x).sum(1))


@MODELS.register_module()
class MCANHead(BaseModule):
    """MCAN encoder-decoder over question token features and region features.

    Args:
        region_channels (int): Width of the region features.
        text_channels (int): Width of the question token features.
        hidden_channels (int): Width d of the co-attention layers. Defaults to 512.
        out_channels (int): Width of the pooled joint feature. Defaults to 1024.
        num_layers (int): L, SA and SGA layers each. Defaults to 6.
        num_heads (int): Attention heads. Defaults to 8.
        question_proj (str): ``'lstm'`` (MCAN's LSTM over word features) or ``'linear'``
            over the token features. Defaults to 'lstm'.
        with_boxes (bool): Append the 6-d box geometry to the region features.
            Defaults to False.
        dropout (float): Defaults to 0.1.
    """

    def __init__(self, region_channels: int, text_channels: int, hidden_channels: int = 512,
                 out_channels: int = 1024, num_layers: int = 6, num_heads: int = 8,
                 question_proj: str = 'lstm', with_boxes: bool = False, dropout: float = 0.1,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if question_proj not in ('lstm', 'linear'):
            raise ValueError(f"question_proj must be 'lstm' or 'linear', got {question_proj!r}")
        self.with_boxes = with_boxes
        self.out_channels = out_channels
        self.q_proj = (nn.LSTM(text_channels, hidden_channels, batch_first=True)
                       if question_proj == 'lstm' else nn.Linear(text_channels, hidden_channels))
        self.v_proj = nn.Linear(region_channels + (6 if with_boxes else 0), hidden_channels)
        self.encoder = nn.ModuleList(
            SGALayer(hidden_channels, num_heads, dropout, guided=False) for _ in range(num_layers))
        self.decoder = nn.ModuleList(
            SGALayer(hidden_channels, num_heads, dropout, guided=True) for _ in range(num_layers))
        self.q_flat = AttFlat(hidden_channels, out_channels, dropout)
        self.v_flat = AttFlat(hidden_channels, out_channels, dropout)
        self.norm = nn.LayerNorm(out_channels)

    def forward(self, regions: Tensor, region_mask: Tensor, tokens: Tensor,
                token_mask: Tensor, boxes: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Same contract as :class:`BUTDAttentionHead`: returns the joint feature (B x
        out_channels) and the regions' AttFlat weights (B x K)."""
        if self.with_boxes:
            if boxes is None:
                raise ValueError('with_boxes=True needs the region boxes')
            regions = torch.cat([regions, box_features(boxes)], dim=-1)
        q = self.q_proj(tokens)
        q = q[0] if isinstance(q, tuple) else q
        v = self.v_proj(regions)
        for layer in self.encoder:
            q = layer(q, ~token_mask)
        for layer in self.decoder:
            v = layer(v, ~region_mask, q, ~token_mask)
        joint = self.norm(self.q_flat(q, token_mask) + self.v_flat(v, region_mask))
        return joint, self.v_flat.weights(v, region_mask)
