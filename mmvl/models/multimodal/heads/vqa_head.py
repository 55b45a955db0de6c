# Copyright (c) mmvl contributors. All rights reserved.
"""VQA as multi-label classification over an answer table (BUTD soft scores, BCE).

The head of SOHO (Huang et al., CVPR 2021, Sec. 4.2; code ``VQAHead``: 768 -> 3072 -> ReLU ->
Dropout 0.5 -> 3,129), Pixel-BERT (Huang et al., 2020, Sec. 4.2) and EVE (Chen et al., AAAI 2024;
code: 768 -> 1536 -> LayerNorm -> GELU -> 3,128). Targets are the BUTD soft scores of the
annotator answers (Teney et al., CVPR 2018); the loss is binary cross-entropy with logits,
mean-reduced and multiplied by the number of answers (a sum over answers averaged over the batch).
"""
from typing import List, Literal, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.datasets.vl.vqa import load_answer_table
from mmvl.registry import MODELS


def soft_answer_targets(data_samples: Sequence, num_answers: int,
                        device: Optional[torch.device] = None) -> Tensor:
    """Dense soft targets (B x num_answers) from ``gt_answer_label`` / ``gt_answer_score``."""
    target = torch.zeros(len(data_samples), num_answers, device=device)
    for i, sample in enumerate(data_samples):
        labels = sample.get('gt_answer_label')
        scores = sample.get('gt_answer_score')
        if labels is None or scores is None:
            raise KeyError('VQA training samples need `gt_answer_label` and `gt_answer_score` '
                           '(give the dataset an answer_table)')
        if len(labels) != len(scores):
            raise ValueError(f'sample {i}: {len(labels)} answer labels but {len(scores)} scores')
        if len(labels):
            target[i, torch.as_tensor(labels, dtype=torch.long)] = torch.as_tensor(
                scores, dtype=target.dtype, device=device)
    return target


@MODELS.register_module()
class VQAClassificationHead(BaseModule):
    """An MLP on the fused [CLS] feature that scores every answer of the table.

    Args:
        in_channels (int): Width of the input feature.
        hidden_channels (int): Width of the hidden layer.
        num_answers (int, optional): Size of the answer table. Defaults to None (taken from
            ``answer_table``).
        answer_table (list[str] | str, optional): The answers (or a json file of them, see
            :func:`~mmvl.datasets.vl.load_answer_table`), needed by :meth:`predict` to name the
            prediction. Defaults to None.
        dropout (float): Dropout after the activation. Defaults to 0.0 (SOHO: 0.5).
        norm (str): ``'none'`` (SOHO) or ``'LN'`` (EVE) after the hidden layer.
            Defaults to 'none'.
        act (str): ``'ReLU'`` (SOHO) or ``'GELU'`` (EVE). Defaults to 'ReLU'.
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_answers: Optional[int] = None,
                 answer_table: Union[List[str], str, None] = None, dropout: float = 0.0,
                 norm: Literal['none', 'LN'] = 'none', act: Literal['ReLU', 'GELU'] = 'ReLU',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(answer_table, str):
            answer_table = load_answer_table(answer_table)
        if num_answers is None and answer_table is None:
            raise ValueError('give num_answers or answer_table')
        if answer_table is not None and num_answers is not None \
                and len(answer_table) != num_answers:
            raise ValueError(f'num_answers={num_answers} but the answer table has '
                             f'{len(answer_table)} answers')
        if norm not in ('none', 'LN'):
            raise ValueError(f"norm must be 'none' or 'LN', got {norm!r}")
        if act not in ('ReLU', 'GELU'):
            raise ValueError(f"act must be 'ReLU' or 'GELU', got {act!r}")
        self.answer_table = list(answer_table) if answer_table is not None else None
        self.num_answers = num_answers if num_answers is not None else len(answer_table)
        layers = [nn.Linear(in_channels, hidden_channels)]
        if norm == 'LN':
            layers.append(nn.LayerNorm(hidden_channels))
        layers.append(nn.ReLU() if act == 'ReLU' else nn.GELU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(hidden_channels, self.num_answers))
        self.mlp = nn.Sequential(*layers)

    def forward(self, cls_feats: Tensor) -> Tensor:
        """Answer logits, shape (B, num_answers), from features of shape (B, C)."""
        return self.mlp(cls_feats)

    def loss(self, cls_feats: Tensor, data_samples: Sequence) -> dict:
        """``loss_vqa``: BCE-with-logits against the soft targets, x num_answers."""
        logits = self(cls_feats)
        target = soft_answer_targets(data_samples, self.num_answers, logits.device)
        loss = F.binary_cross_entropy_with_logits(logits, target) * self.num_answers
        return dict(loss_vqa=loss)

    def predict(self, cls_feats: Tensor, data_samples: Sequence) -> Sequence:
        """Set ``pred_answer`` (str), ``pred_score`` (its sigmoid probability, float) and
        ``pred_answer_scores`` (the probabilities of all answers, Tensor) on each sample."""
        if self.answer_table is None:
            raise ValueError('VQAClassificationHead.predict needs the answer_table')
        probs = self(cls_feats).sigmoid().detach()
        scores, labels = probs.max(dim=1)
        for sample, score, label, prob in zip(data_samples, scores, labels, probs):
            sample.pred_answer = self.answer_table[int(label)]
            sample.pred_score = float(score)
            sample.pred_answer_scores = prob
        return data_samples


def top_answers(sample, answer_table: List[str], k: int = 5) -> List[tuple]:
    """The ``k`` best (answer, probability) pairs of a predicted sample."""
    scores: Union[Tensor, None] = sample.get('pred_answer_scores')
    if scores is None:
        return [(sample.pred_answer, float(sample.pred_score))]
    values, indices = scores.topk(min(k, scores.numel()))
    return [(answer_table[int(i)], float(v)) for v, i in zip(values, indices)]
