# Copyright (c) mmvl contributors. All rights reserved.
"""Image-text retrieval fine-tuning of a single-stream grid encoder (Pixel-BERT Sec. 4.2).

Pixel-BERT ("Pixel-BERT: Aligning Image Pixels with Text by Deep Multi-Modal Transformers",
arXiv 2004.00849) fine-tunes retrieval as ranking: each image is paired with its caption and
20 sampled negative captions, every pair is scored by the matching head on [CLS], and a
softmax cross-entropy over (positive, negatives) puts the positive first; only the 5 hardest
negatives (highest scores) enter the loss, so only they receive gradient. At test time every
image-text pair is scored by the fusion encoder (no first stage: ``itm_rerank`` with
``topk=None``).
"""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmvl.models.multimodal.retrieval import itm_rerank
from mmvl.registry import MODELS
from .base import GridVLBaseModel


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    """Switch ``modules`` (and their children) to eval mode, then restore each flag as it was.

    The flags are restored one by one in ``finally`` (not by ``train()``, which would also
    unfreeze children a module keeps in eval mode on purpose).
    """
    saved = [(m, m.training) for module in modules for m in module.modules()]
    try:
        for m, _ in saved:
            m.training = False
        yield
    finally:
        for m, training in saved:
            m.training = training


@MODELS.register_module()
class RetrievalNegativeSampler:
    """Draw ``num_negatives`` negative captions per image from the other samples of the batch.

    A caption is a negative of image i if its sample has another image and another text (toy
    captions repeat across images). Drawn uniformly without replacement; if fewer candidates
    exist, all of them are used.

    Args:
        num_negatives (int): Negatives per image (Pixel-BERT: 20). Defaults to 20.
    """

    def __init__(self, num_negatives: int = 20) -> None:
        if num_negatives <= 0:
            raise ValueError(
                f'RetrievalNegativeSampler: num_negatives must be > 0, got {num_negatives}')
        self.num_negatives = num_negatives

    def __call__(self, texts: Sequence[str], image_ids: Sequence,
                 generator: Optional[torch.Generator] = None) -> List[Tensor]:
        """Return, per image, a LongTensor with the indices of its negative captions."""
        out = []
        for i in range(len(texts)):
            cand = torch.tensor([j for j in range(len(texts))
                                 if texts[j] != texts[i] and image_ids[j] != image_ids[i]],
                                dtype=torch.long)
            order = torch.randperm(len(cand), generator=generator)[:self.num_negatives]
            out.append(cand[order])
        return out


def hardest_negative_loss(pos_scores: Tensor, neg_scores: Tensor, neg_valid: Tensor,
                          num_hard: int) -> Tensor:
    """Softmax cross-entropy of the positive against its ``num_hard`` hardest negatives.

    Args:
        pos_scores (Tensor): B, score of each image with its caption.
        neg_scores (Tensor): B x M, scores of the sampled negatives.
        neg_valid (Tensor): B x M bool, False at padding (fewer than M negatives).
        num_hard (int): Negatives kept per image (Pixel-BERT: 5).

    Returns:
        Tensor: The mean loss. Only the kept negatives (and the positive) get gradient.
    """
    masked = neg_scores.detach().masked_fill(~neg_valid, float('-inf'))
    k = min(num_hard, neg_scores.size(1))
    hard = masked.topk(k, dim=1).indices
    hard_scores = neg_scores.gather(1, hard).masked_fill(~neg_valid.gather(1, hard),
                                                         float('-inf'))
    logits = torch.cat([pos_scores[:, None], hard_scores], dim=1)
    return F.cross_entropy(logits, torch.zeros_like(pos_scores, dtype=torch.long))


@MODELS.register_module()
class GridVLRetrieval(GridVLBaseModel):
    """Image-text retrieval by ITM scores with hardest-negative ranking (Pixel-BERT).

    Args:
        encoder (dict): Config of :class:`GridVLEncoder`.
        itm_head (dict): Config of ``ITMHead``; its positive logit is the pair score
            (load the pre-trained ITM head to start from a matching model).
        negative_sampler (dict): Config of :class:`RetrievalNegativeSampler`. Defaults to 20.
        num_hard (int): Hardest negatives back-propagated per image. Defaults to 5.
        score_chunk (int): Pairs fused per forward at test time. Defaults to 256.
        **kwargs: ``data_preprocessor``, ``init_cfg`` of :class:`GridVLBaseModel`.

    Test mode follows mmpretrain's ``RetrievalTestLoop``: ``forward(mode='tensor')``
    (:meth:`extract_feat`) returns per batch the visual tokens and masks of its images and the
    token ids and masks of all their captions (``text``, a list per image), and
    :meth:`predict_all` scores every image against every caption and returns image-to-text
    samples (``pred_score`` over all texts, ``gt_label`` = ``gt_text_id``) and text-to-image
    samples (``pred_score`` over all images, ``gt_label`` = the caption's image).
    """

    def __init__(self, encoder: dict, itm_head: dict,
                 negative_sampler: dict = dict(type='RetrievalNegativeSampler',
                                               num_negatives=20),
                 num_hard: int = 5, score_chunk: int = 256, **kwargs) -> None:
        super().__init__(encoder, **kwargs)
        self.itm_head = MODELS.build(dict(itm_head, in_channels=self.hidden_size))
        self.negative_sampler = MODELS.build(negative_sampler)
        num_negatives = getattr(self.negative_sampler, 'num_negatives', None)
        if num_hard <= 0 or (num_negatives is not None and num_hard > num_negatives):
            raise ValueError(f'GridVLRetrieval: num_hard must satisfy 0 < num_hard <= '
                             f'num_negatives ({num_negatives}), got {num_hard}')
        self.num_hard = num_hard
        self.score_chunk = score_chunk

    def pair_scores(self, visual_tokens: Tensor, visual_mask: Tensor, input_ids: Tensor,
                    text_mask: Tensor) -> Tensor:
        """ITM positive logit of each row's (image, text) pair: P x ... -> P."""
        hidden = self.encoder.fuse(self.encoder.embed_text(input_ids), text_mask,
                                   visual_tokens, visual_mask)
        return self.itm_head.scores(hidden[:, 0])

    def loss(self, images: Tensor, data_samples: List) -> dict:
        """Hardest-``num_hard``-of-``num_negatives`` ranking loss over captions.

        Pixel-BERT does not say how the hardest negatives are found. Here every sampled
        negative is first scored without a graph and with the fusion encoder and ITM head in
        eval mode (no dropout), so the selection depends on the weights only, not on a dropout
        draw; the chosen ones are then scored again in training mode (with dropout), and only
        those scores enter the loss.
        """
        texts = [self.text_of(s) for s in data_samples]
        image_ids = [s.get('image_id', i) for i, s in enumerate(data_samples)]
        negatives = self.negative_sampler(texts, image_ids)
        num_neg = max(len(n) for n in negatives)
        if num_neg == 0:
            raise ValueError('no negative caption in the batch: use a larger batch')
        tokens, vmask = self.encoder.visual_tokens(images, data_samples)
        ids, tmask = self.encoder.tokenize(texts, images.device)
        batch = len(texts)
        pos = self.pair_scores(tokens, vmask, ids, tmask)
        neg_index = torch.zeros(batch, num_neg, dtype=torch.long)
        neg_valid = torch.zeros(batch, num_neg, dtype=torch.bool)
        for i, n in enumerate(negatives):
            neg_index[i, :len(n)] = n
            neg_valid[i, :len(n)] = True
        neg_valid = neg_valid.to(images.device)
        # score every negative without a graph and with dropout off, then re-score only the
        # hardest with a graph (the others would get no gradient anyway; this saves most of
        # the backward cost): the choice of the hardest does not depend on a dropout draw
        rows = torch.arange(batch).repeat_interleave(num_neg)
        flat = neg_index.flatten()
        with torch.no_grad(), eval_mode(self.encoder.bert, self.itm_head):
            neg = self.pair_scores(tokens[rows], vmask[rows], ids[flat], tmask[flat])
        k = min(self.num_hard, num_neg)
        hard = neg.view(batch, num_neg).masked_fill(~neg_valid, float('-inf')).topk(k, 1).indices
        rows = torch.arange(batch).repeat_interleave(k)
        flat = neg_index.to(hard.device).gather(1, hard).flatten()
        hard_scores = self.pair_scores(tokens[rows], vmask[rows], ids[flat], tmask[flat])
        loss = hardest_negative_loss(pos, hard_scores.view(batch, k), neg_valid.gather(1, hard),
                                     k)
        return dict(loss_rank=loss)

    def extract_feat(self, images: Tensor, data_samples: List) -> Dict[str, Tensor]:
        """Visual tokens / masks of the images and token ids / masks of all their captions."""
        tokens, vmask = self.encoder.visual_tokens(images, data_samples)
        texts = []
        for sample in data_samples:
            text = sample.get('text')
            texts.extend(text if isinstance(text, (list, tuple)) else [text])
        ids, tmask = self.encoder.tokenize(texts, images.device)
        return dict(visual_tokens=tokens, visual_mask=vmask, text_ids=ids, text_mask=tmask)

    def score_matrix(self, feats: Dict[str, Tensor]) -> Tensor:
        """ITM score of every image against every text: num_images x num_texts."""
        num_images, num_texts = len(feats['visual_tokens']), len(feats['text_ids'])

        def score_fn(i: int, cand: Tensor) -> Tensor:
            out = []
            for chunk in cand.split(self.score_chunk):
                n = len(chunk)
                out.append(self.pair_scores(
                    feats['visual_tokens'][i:i + 1].expand(n, -1, -1),
                    feats['visual_mask'][i:i + 1].expand(n, -1),
                    feats['text_ids'][chunk], feats['text_mask'][chunk]))
            return torch.cat(out)

        first_stage = torch.zeros(num_images, num_texts, device=feats['text_ids'].device)
        return itm_rerank(first_stage, None, score_fn)

    def predict_all(self, feats: Dict[str, Tensor], data_samples: List,
                    num_images: Optional[int] = None, num_texts: Optional[int] = None
                    ) -> Tuple[List[DataSample], List[DataSample]]:
        """Image-to-text and text-to-image samples from the full score matrix."""
        scores = self.score_matrix(feats)
        i2t, t2i = [], []
        for sample, row in zip(data_samples, scores):
            out = DataSample(pred_score=row)
            if 'gt_text_id' in sample:
                out.gt_label = sample.gt_text_id
            i2t.append(out)
        t = 0
        for sample in data_samples:
            text = sample.get('text')
            for k in range(len(text) if isinstance(text, (list, tuple)) else 1):
                out = DataSample(pred_score=scores[:, t])
                if 'gt_image_id' in sample:
                    out.gt_label = sample.gt_image_id[k]
                t2i.append(out)
                t += 1
        return i2t, t2i

    def predict(self, images: Tensor, data_samples: List) -> List:
        """Score each image against the captions of the batch: ``pred_score`` per image."""
        i2t, _ = self.predict_all(self.extract_feat(images, data_samples), data_samples)
        for sample, out in zip(data_samples, i2t):
            sample.set_field(out.pred_score, 'pred_score')
        return data_samples
