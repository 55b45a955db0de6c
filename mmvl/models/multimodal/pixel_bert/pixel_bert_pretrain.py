# Copyright (c) mmvl contributors. All rights reserved.
"""Pixel-BERT pre-training: random pixel sampling, MLM + ITM.

"Pixel-BERT: Aligning Image Pixels with Text by Deep Multi-Modal Transformers", Zhicheng
Huang, Zhaoyang Zeng, Bei Liu, Dongmei Fu, Jianlong Fu, arXiv 2004.00849, Sec. 3.3-3.4. No
official code was released; this follows the paper::

    image -> ResNet-50 / ResNeXt-152 -> 2x2 max-pool (stride 64) -> projection -> + s_v
          (a learned visual type vector) -> LayerNorm
          -> in pre-training only: keep 100 randomly sampled valid pixel features per image
    [CLS] caption [SEP] + pixel features -> 12-layer BERT -> MLM + ITM (equal weights)

Sampling fewer pixels than the image has is the paper's regulariser (Sec. 3.3, "Pixel Random
Sampling"); fine-tuning and testing use every pixel.
"""
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from mmvl.models.multimodal.grid_vl.pretrain import GridVLPretrainer
from mmvl.registry import MODELS


@MODELS.register_module()
class PixelSampler:
    """Draw ``num_samples`` valid pixel features per image, uniformly without replacement.

    An image with fewer valid pixels keeps all of them; the output is padded to the longest
    kept set and the mask marks the padding.

    Args:
        num_samples (int): Pixels kept per image (the paper: 100). Defaults to 100.
    """

    def __init__(self, num_samples: int = 100) -> None:
        if num_samples <= 0:
            raise ValueError(f'PixelSampler: num_samples must be > 0, got {num_samples}')
        self.num_samples = num_samples

    def __call__(self, tokens: Tensor, mask: Tensor,
                 generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Sample from ``tokens`` (B x N x C) at positions where ``mask`` (B x N) is 1.

        Returns:
            tuple: sampled tokens (B x K x C), their mask (B x K, long) and the source
            positions (B x K, -1 at padding), K = min(num_samples, most valid pixels).
        """
        picks = []
        for row in mask.bool():
            where = row.nonzero().flatten()
            order = torch.randperm(len(where), generator=generator)[:self.num_samples]
            picks.append(where[order.to(where.device)])
        k = max(len(p) for p in picks)
        positions = torch.full((len(picks), k), -1, dtype=torch.long, device=tokens.device)
        for i, p in enumerate(picks):
            positions[i, :len(p)] = p
        keep = positions >= 0
        gathered = torch.gather(tokens, 1, positions.clamp(min=0)[..., None].expand(
            -1, -1, tokens.size(-1)))
        return gathered * keep[..., None].to(tokens.dtype), keep.long(), positions


@MODELS.register_module()
class PixelBERTPretrainer(GridVLPretrainer):
    """Pixel-BERT pre-training model (MLM + ITM with random pixel sampling).

    Args:
        encoder (dict): Config of :class:`GridVLEncoder` with ``visual_embed='type'``.
        itm_head (dict): Config of the ITM head.
        pixel_sampler (dict): Config of :class:`PixelSampler`, used in training mode only.
            Defaults to 100 pixels.
        **kwargs: Other arguments of :class:`GridVLPretrainer`.
    """

    def __init__(self, encoder: dict, itm_head: dict,
                 pixel_sampler: dict = dict(type='PixelSampler', num_samples=100),
                 **kwargs) -> None:
        super().__init__(encoder, itm_head, **kwargs)
        self.pixel_sampler = MODELS.build(pixel_sampler)

    def visual_step(self, feats: Tensor, valid: Tensor, data_samples: List
                    ) -> Tuple[Tensor, Tensor, dict]:
        """Embed every pixel; in training keep a random subset of the valid ones."""
        tokens = self.encoder.embed_visual(feats, valid)
        mask = valid.flatten(1).long()
        if self.training:
            tokens, mask, _ = self.pixel_sampler(tokens, mask)
        return tokens, mask, {}
