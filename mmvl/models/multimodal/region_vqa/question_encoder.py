# Copyright (c) mmvl contributors. All rights reserved.
"""BERT token features of questions (arXiv 1910.13077, §3: BERT replaces GloVe + RNN words)."""
from typing import Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor
from transformers import BertModel

from mmvl.models.language_models.text_encoder import resolve_text_model
from mmvl.registry import MODELS
from ..text_utils import build_tokenizer


@MODELS.register_module()
class BertQuestionEncoder(BaseModule):
    """Contextual token features of each question from a pre-trained BERT.

    "Learning Rich Image Region Representation for VQA" feeds VQA heads with BERT's
    token-level outputs instead of word embeddings, so each token carries its question
    context. Whether BERT is fine-tuned is a config field (the paper does not say).

    Args:
        name (str): BERT name or folder (``'all-MiniLM-L6-v2'`` = the packaged MiniLM).
            Defaults to 'bert-base-uncased'.
        max_tokens (int): Longest question in tokens, [CLS] and [SEP] included.
            Defaults to 24.
        frozen (bool): Keep BERT's weights fixed (and in eval mode). Defaults to True.
    """

    def __init__(self, name: str = 'bert-base-uncased', max_tokens: int = 24,
                 frozen: bool = True, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.name = name
        self.max_tokens = max_tokens
        self.frozen = frozen
        self.tokenizer = build_tokenizer(name)
        self.bert = BertModel.from_pretrained(resolve_text_model(name), add_pooling_layer=False)
        if frozen:
            self.bert.requires_grad_(False)

    @property
    def embed_dims(self) -> int:
        """Width of the token features."""
        return self.bert.config.hidden_size

    def init_weights(self) -> None:
        """Keep the pre-trained weights (mmengine's init would overwrite them)."""

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:
            self.bert.eval()
        return self

    def forward(self, questions: Sequence[str]) -> Tuple[Tensor, Tensor]:
        """Questions -> (B x L x C token features, B x L bool mask of real tokens)."""
        tokens = self.tokenizer(list(questions), max_length=self.max_tokens, padding='longest',
                                truncation=True, return_tensors='pt')
        device = next(self.bert.parameters()).device
        tokens = {k: v.to(device) for k, v in tokens.items()}
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            feats = self.bert(**tokens).last_hidden_state
        return feats, tokens['attention_mask'].bool()
