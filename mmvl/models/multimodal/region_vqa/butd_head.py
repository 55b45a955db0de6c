# Copyright (c) mmvl contributors. All rights reserved.
"""Bottom-up and top-down attention VQA head over region features.

Anderson et al., "Bottom-Up and Top-Down Attention for Image Captioning and Visual Question
Answering" (CVPR 2018, §3.3) and Teney et al., "Tips and Tricks for Visual Question
Answering" (CVPR 2018, §3): a question vector q attends over the K region features v_i with
a_i = w_a^T f_a([v_i; q]), alpha = softmax(a), v = sum_i alpha_i v_i, and the joint
embedding h = f_q(q) * f_v(v); each f is a gated tanh layer. "Learning Rich Image Region
Representation for VQA" (arXiv 1910.13077, §3) keeps such heads and replaces the word
embeddings under the question GRU by BERT token features.
"""
from typing import Literal, Optional, Tuple, get_args

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS

QuestionPooling = Literal['gru', 'cls', 'mean']


class GatedTanh(nn.Module):
    """y = tanh(W x + b) * sigmoid(W' x + b') (Teney et al., §3.1)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, out_channels)
        self.gate = nn.Linear(in_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(self.fc(x)) * torch.sigmoid(self.gate(x))


def box_features(boxes: Tensor) -> Tensor:
    """Normalised boxes (..., 4: x1, y1, x2, y2 in [0, 1]) -> (..., 6) with width, height."""
    return torch.cat([boxes, boxes[..., 2:3] - boxes[..., 0:1],
                      boxes[..., 3:4] - boxes[..., 1:2]], dim=-1)


@MODELS.register_module()
class BUTDAttentionHead(BaseModule):
    """Top-down attention over regions, fused with the question (the BUTD VQA model).

    The question vector is the last GRU state over the question's token features
    (``question_pooling='gru'``, BUTD's form) or, as alternatives, BERT's [CLS] feature
    (``'cls'``) or the mean of the token features (``'mean'``).

    Args:
        region_channels (int): Width of the region features (2048 for BUTD features).
        text_channels (int): Width of the question token features.
        hidden_channels (int): Width of q, of the attention layer and of h. Defaults to 512.
        question_pooling (str): ``'gru'``, ``'cls'`` or ``'mean'``. Defaults to 'gru'.
        l2_norm_regions (bool): L2-normalise region features first (Teney et al., §3.3).
            Defaults to True.
        with_boxes (bool): Append the 6-d box geometry to each region feature (not in
            BUTD). Defaults to False.
        dropout (float): Dropout on the attention's joint features. Defaults to 0.2.
    """

    def __init__(self, region_channels: int, text_channels: int, hidden_channels: int = 512,
                 question_pooling: QuestionPooling = 'gru', l2_norm_regions: bool = True,
                 with_boxes: bool = False, dropout: float = 0.2, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if question_pooling not in get_args(QuestionPooling):
            raise ValueError(f'question_pooling must be one of {get_args(QuestionPooling)}, '
                             f'got {question_pooling!r}')
        self.question_pooling = question_pooling
        self.l2_norm_regions = l2_norm_regions
        self.with_boxes = with_boxes
        self.out_channels = hidden_channels
        v_channels = region_channels + (6 if with_boxes else 0)
        q_channels = text_channels
        if question_pooling == 'gru':
            self.gru = nn.GRU(text_channels, hidden_channels, batch_first=True)
            q_channels = hidden_channels
        self.att_fc = GatedTanh(v_channels + q_channels, hidden_channels)
        self.att_logit = nn.Linear(hidden_channels, 1)
        self.dropout = nn.Dropout(dropout)
        self.q_fc = GatedTanh(q_channels, hidden_channels)
        self.v_fc = GatedTanh(v_channels, hidden_channels)

    def question_vector(self, tokens: Tensor, token_mask: Tensor) -> Tensor:
        """B x L x C token features (mask B x L) -> B x Cq question vector."""
        if self.question_pooling == 'cls':
            return tokens[:, 0]
        if self.question_pooling == 'mean':
            m = token_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * m).sum(1) / m.sum(1).clamp(min=1)
        lengths = token_mask.sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(tokens, lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, last = self.gru(packed)
        return last[-1]

    def attention(self, regions: Tensor, region_mask: Tensor, q: Tensor) -> Tensor:
        """B x K attention weights; padded regions (mask False) get exactly zero weight."""
        q_rep = q.unsqueeze(1).expand(-1, regions.shape[1], -1)
        logits = self.att_logit(self.dropout(self.att_fc(torch.cat([regions, q_rep], -1))))
        logits = logits.squeeze(-1).masked_fill(~region_mask, float('-inf'))
        return logits.softmax(dim=1)

    def forward(self, regions: Tensor, region_mask: Tensor, tokens: Tensor,
                token_mask: Tensor, boxes: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Fuse regions and question.

        Args:
            regions (Tensor): B x K x C region features.
            region_mask (Tensor): B x K, True for real (not padding) regions.
            tokens (Tensor): B x L x Ct question token features.
            token_mask (Tensor): B x L, True for real tokens.
            boxes (Tensor, optional): B x K x 4 normalised boxes (for ``with_boxes``).

        Returns:
            tuple[Tensor, Tensor]: The joint embedding h (B x hidden) and the attention
            weights (B x K).
        """
        if self.l2_norm_regions:
            regions = F.normalize(regions, dim=-1)
        if self.with_boxes:
            if boxes is None:
                raise ValueError('with_boxes=True needs the region boxes')
            regions = torch.cat([regions, box_features(boxes)], dim=-1)
        q = self.question_vector(tokens, token_mask)
        alpha = self.attention(regions, region_mask, q)
        attended = (alpha.unsqueeze(-1) * regions).sum(1)
        return self.q_fc(q) * self.v_fc(attended), alpha
