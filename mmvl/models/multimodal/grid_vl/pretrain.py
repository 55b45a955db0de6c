# Copyright (c) mmvl contributors. All rights reserved.
"""Masked language modelling and image-text matching on grid features (SOHO, Pixel-BERT).

Both papers pre-train the single-stream encoder with (SOHO Sec. 3.3; Pixel-BERT Sec. 3.4):

- MLM: 15 % of the text tokens are masked (80 % [MASK], 10 % random, 10 % kept) and predicted
  from the text and the image; the prediction layer is tied to the word embeddings without a
  bias (SOHO's ``mask_l_fc``). Cross-entropy averaged over the masked tokens.
- ITM: half of the captions are replaced by a caption of another image; a linear layer on the
  [CLS] output says whether the pair matches. Cross-entropy.

The subclasses add their visual step (SOHO: visual dictionary, gating and MVM; Pixel-BERT:
random pixel sampling) through :meth:`GridVLPretrainer.visual_step`.

Caption groups (SOHO's released ``soho_singleStream_Pre.py``): a sample may carry ``texts``, k
captions of its image (``group_size=k`` in the caption datasets), instead of one ``text``. The
CNN then runs once per image and its grid is repeated for each of the image's captions, so
every (image, caption) pair goes through the visual step and the fusion on its own; ITM
negatives of a caption are captions of other images (``image_id`` is shared by the group).
The released code repeats C5 before the 1x1 projection and its BN; repeating after them is the
same when all groups have one size (BN then sees every image k times either way).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmvl.registry import MODELS
from .base import GridVLBaseModel


@MODELS.register_module()
class ITMNegativeSampler:
    """Pairs each sample with its own text or, with probability ``prob``, another one's.

    The negative text is drawn uniformly from the other samples of the batch whose text and
    image differ (SOHO draws a random other image's first caption from the whole data set;
    in-batch drawing needs no dataset access inside the model). A sample without any such
    candidate keeps its own text.

    Args:
        prob (float): Chance of a negative pair. Defaults to 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'ITMNegativeSampler: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def __call__(self, texts: Sequence[str], image_ids: Optional[Sequence] = None,
                 generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
        """Return the text index for each sample (B) and the ITM labels (B, 1 = match)."""
        num = len(texts)
        if image_ids is None:
            image_ids = list(range(num))
        index = torch.arange(num)
        labels = torch.ones(num, dtype=torch.long)
        flip = torch.rand(num, generator=generator) < self.prob
        for i in flip.nonzero().flatten().tolist():
            candidates = [j for j in range(num)
                          if texts[j] != texts[i] and image_ids[j] != image_ids[i]]
            if candidates:
                pick = torch.randint(len(candidates), (1, ), generator=generator).item()
                index[i] = candidates[pick]
                labels[i] = 0
        return index, labels


class GridVLPretrainer(GridVLBaseModel):
    """MLM + ITM pre-training of :class:`GridVLEncoder`, equal loss weights.

    Args:
        encoder (dict): Config of :class:`GridVLEncoder`.
        itm_head (dict): Config of the ITM head (``ITMHead``, Linear(C, 2) without bias).
        mlm_masker (dict): Config of the MLM masker, built from ``MODELS`` with the encoder's
            tokenizer as ``tokenizer``; without ``type`` it is a ``WholeWordMasker``.
            Defaults to ``dict(type='WholeWordMasker', mask_prob=0.15)`` (80/10/10
            replacement).
        itm_sampler (dict): Config of the negative-pair sampler. Defaults to
            ``dict(type='ITMNegativeSampler', prob=0.5)``.
        data_preprocessor (dict, optional): See :class:`GridVLBaseModel`.
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, encoder: dict, itm_head: dict,
                 mlm_masker: dict = dict(type='WholeWordMasker', mask_prob=0.15),
                 itm_sampler: dict = dict(type='ITMNegativeSampler', prob=0.5),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(encoder, data_preprocessor, init_cfg)
        self.mlm_masker = MODELS.build(dict(dict(type='WholeWordMasker'), **mlm_masker),
                                       default_args=dict(tokenizer=self.encoder.tokenizer))
        self.itm_sampler = MODELS.build(itm_sampler)
        self.itm_head = MODELS.build(dict(itm_head, in_channels=self.hidden_size))

    def mlm_logits(self, hidden: Tensor) -> Tensor:
        """Word scores from the word-embedding matrix (tied, no bias): ... x vocab."""
        return hidden @ self.encoder.bert.embeddings.word_embeddings.weight.t()

    def visual_step(self, feats: Tensor, valid: Tensor, data_samples: List
                    ) -> Tuple[Tensor, Tensor, dict]:
        """Turn the projected grid into tokens; subclasses add their pre-training step.

        Returns:
            tuple: visual tokens (B x N x C), their mask (B x N) and a dict of extra
            outputs for :meth:`extra_losses`.
        """
        return self.encoder.embed_visual(feats, valid), valid.flatten(1).long(), {}

    def extra_losses(self, visual_hidden: Tensor, extra: dict) -> dict:
        """Losses on the fused visual tokens (none here; SOHO adds MVM)."""
        return {}

    def caption_pairs(self, data_samples: List) -> Tuple[List[str], list, List[int]]:
        """One (image, caption) pair per caption of the batch, in sample order.

        Args:
            data_samples (list): Samples with one caption (``text``) or a group of captions
                of their image (``texts``, a non-empty list of str).

        Returns:
            tuple:
            - texts (list[str]): The captions.
            - image_ids (list): Each caption's ``image_id`` (its sample's index if unset).
            - owners (list[int]): Each caption's sample (image) index in the batch.
        """
        texts, image_ids, owners = [], [], []
        for i, sample in enumerate(data_samples):
            if 'texts' in sample:
                group = sample.get('texts')
                if (not isinstance(group, (list, tuple)) or not group
                        or not all(isinstance(t, str) for t in group)):
                    raise ValueError(f'data_samples[{i}].texts must be a non-empty list of '
                                     f'captions, got {group!r}')
            else:
                group = [self.text_of(sample)]
            texts.extend(group)
            image_ids.extend([sample.get('image_id', i)] * len(group))
            owners.extend([i] * len(group))
        return texts, image_ids, owners

    def loss(self, images: Tensor, data_samples: List) -> dict:
        """MLM + ITM (+ the subclass's losses) for a batch of image-caption pairs.

        A sample with a caption group (``texts``) gives one pair per caption; its image goes
        through the CNN once (see :meth:`caption_pairs` and the module doc).
        """
        texts, image_ids, owners = self.caption_pairs(data_samples)
        text_index, itm_labels = self.itm_sampler(texts, image_ids)
        texts = [texts[j] for j in text_index.tolist()]
        device = images.device
        input_ids, text_mask = self.encoder.tokenize(texts, device)
        masked_ids, mlm_labels = self.mlm_masker(input_ids, text_mask)

        feats, valid = self.encoder.grid_features(images, data_samples)
        if len(owners) != len(data_samples):  # caption groups: one grid copy per caption
            index = torch.tensor(owners, device=feats.device)
            feats, valid = feats[index], valid[index]
            data_samples = [data_samples[i] for i in owners]
        tokens, visual_mask, extra = self.visual_step(feats, valid, data_samples)
        hidden = self.encoder.fuse(self.encoder.embed_text(masked_ids.to(device)), text_mask,
                                   tokens, visual_mask)
        num_text = input_ids.size(1)
        losses = dict()
        mlm_labels = mlm_labels.to(device)
        picked = mlm_labels >= 0
        logits = self.mlm_logits(hidden[:, :num_text][picked])
        # no masked token in the batch: a zero that keeps the graph
        losses['loss_mlm'] = (F.cross_entropy(logits, mlm_labels[picked]) if picked.any()
                              else hidden.sum() * 0)
        if picked.any():
            losses['acc_mlm'] = (logits.argmax(-1) == mlm_labels[picked]).float().mean() * 100
        itm = self.itm_head.loss(hidden[:, 0], itm_labels.to(device))
        losses.update(itm if isinstance(itm, dict) else dict(loss_itm=itm))
        losses.update(self.extra_losses(hidden[:, num_text:], extra))
        return losses

    def predict(self, images: Tensor, data_samples: List) -> List:
        """ITM: set ``pred_score`` (match probability) for each image-text pair."""
        hidden = self.extract_feat(images, data_samples)
        scores = self.itm_head.scores(hidden[:, 0])
        for sample, score in zip(data_samples, scores):
            sample.set_field(score, 'pred_score')
        return data_samples
