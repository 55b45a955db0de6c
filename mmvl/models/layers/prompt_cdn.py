# Copyright (c) mmvl contributors. All rights reserved.
"""Contrastive denoising queries whose content comes from the prompt (UNINEXT)."""
from typing import Tuple

import torch
from mmdet.models.layers.transformer.dino_layers import CdnQueryGenerator
from mmdet.structures import SampleList
from torch import Tensor, nn

from mmvl.registry import MODELS


@MODELS.register_module()
class PromptCdnQueryGenerator(CdnQueryGenerator):
    """DINO's contrastive denoising with the prompt as every query's content.

    DINO embeds each noised ground-truth label as the content of its denoising queries.
    UNINEXT ("Universal Instance Perception as Object Discovery and Retrieval", Yan et al.,
    CVPR 2023; ``DYNAMIC_LABEL_ENC`` in the official code) has no fixed label set, so every
    denoising query of an image gets the same content: its mean-pooled prompt feature through
    a FeatureResizer (linear, LayerNorm, dropout). The label-noise branch therefore does not
    exist; the boxes are noised as in DINO (``box_noise_scale``).

    Args:
        text_dims (int): Width of the prompt feature. Defaults to 768.
        dropout (float): Dropout of the FeatureResizer. Defaults to 0.0 (the authors' configs).
        **kwargs: Those of mmdet's ``CdnQueryGenerator``; ``label_noise_scale`` is ignored.
    """

    def __init__(self, *args, text_dims: int = 768, dropout: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.label_embedding  # the prompt replaces the label embedding
        self.prompt_proj = nn.Sequential(
            nn.Linear(text_dims, self.embed_dims),
            nn.LayerNorm(self.embed_dims, eps=1e-12),
            nn.Dropout(dropout))

    def __call__(self, batch_data_samples: SampleList) -> Tuple[Tensor, Tensor, Tensor, dict]:
        """Denoising queries of a batch.

        Args:
            batch_data_samples (list[DetDataSample]): Samples with ``gt_instances.bboxes``
                (x1, y1, x2, y2) in pixels and ``prompt_embedding`` (D,), the image's
                pooled prompt feature.

        Returns:
            tuple: ``dn_label_query`` (B, N_dn, C), ``dn_bbox_query`` (B, N_dn, 4),
            ``attn_mask`` and ``dn_meta``, as in mmdet's ``CdnQueryGenerator``.
        """
        gt_bboxes, batch_idx = [], []
        for i, sample in enumerate(batch_data_samples):
            img_h, img_w = sample.img_shape
            bboxes = sample.gt_instances.bboxes
            gt_bboxes.append(bboxes / bboxes.new_tensor([img_w, img_h, img_w, img_h]))
            batch_idx.append(torch.full((len(bboxes), ), i, dtype=torch.long,
                                        device=bboxes.device))
        max_num_target = max(len(b) for b in gt_bboxes)
        num_groups = self.get_num_groups(max_num_target)
        batch_idx = torch.cat(batch_idx)
        prompts = torch.stack([sample.prompt_embedding for sample in batch_data_samples])
        # positive and negative copies of every target, each with its image's prompt
        dn_label_query = self.prompt_proj(prompts)[batch_idx.repeat(2 * num_groups)]
        dn_bbox_query = self.generate_dn_bbox_query(torch.cat(gt_bboxes), num_groups)
        dn_label_query, dn_bbox_query = self.collate_dn_queries(
            dn_label_query, dn_bbox_query, batch_idx, len(batch_data_samples), num_groups)
        attn_mask = self.generate_dn_mask(max_num_target, num_groups,
                                          device=dn_label_query.device)
        dn_meta = dict(num_denoising_queries=int(max_num_target * 2 * num_groups),
                       num_denoising_groups=num_groups)
        return dn_label_query, dn_bbox_query, attn_mask, dn_meta
