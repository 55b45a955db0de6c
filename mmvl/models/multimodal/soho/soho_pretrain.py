# Copyright (c) mmvl contributors. All rights reserved.
"""SOHO pre-training: visual dictionary, gated fusion, MLM + MVM + ITM.

"Seeing Out of tHe bOx: End-to-End Pre-training for Vision-Language Representation
Learning", Zhicheng Huang, Zhaoyang Zeng, Yupan Huang, Bei Liu, Dongmei Fu, Jianlong Fu,
CVPR 2021, arXiv 2104.03135, Sec. 3.2-3.3. Released code github.com/researchmm/soho@95824a8
(``necks/necks.py`` ``SimpleVDforPreGate``, ``models/soho_singleStream_Pre.py``,
``heads/soho_pre_head.py``), read and re-implemented::

    grid features x (B x C x h x w, after CNN, 2x2 max-pool, 1x1 conv + BN)
      -> visual dictionary: q = sg(e_k - x) + x, k = nearest entry        (VisualDictionary)
      -> q' = Linear(q)                                                   (``pos_line``)
      -> gate: [g_q, g_x] = softmax(BN(Conv1x1([q', x])))  ->  g_q q' + g_x x
      -> MVM: all positions whose entry equals that of one random location are replaced by
         a learned [MASK] vector, for each image with probability 0.015 (MVMMasker)
      -> + 2D sine position, LayerNorm -> fused with the (MLM-masked) caption by BERT
    losses (weights 1, 1, 1): MLM (tied word embeddings), MVM (cosine of the fused visual
    token with the L2-normalised entries as logits, label = entry index), ITM.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from mmvl.models.multimodal.grid_vl.pretrain import GridVLPretrainer
from mmvl.registry import MODELS


@MODELS.register_module()
class MVMMasker:
    """SOHO's masked visual modelling draw (Sec. 3.3, "MVM").

    A grid location ``t`` is drawn; for each image, with probability ``mask_prob``, every valid
    position whose dictionary index equals the index at ``t`` is masked, so that a masked
    visual token cannot be recovered from an unmasked neighbour mapped to the same entry.

    # NOTE: the released code (github.com/researchmm/soho@95824a8, ``SimpleVDforPreGate``)
    # draws one ``t`` for the whole batch (``per_image=False``, the default, which the released
    # weights were trained with); spec Sec. 6 and the paper's wording read as one random
    # location per image (``per_image=True``). In both forms the draw is uniform over the
    # padded grid; a location in an image's padding masks nothing in that image.

    Args:
        mask_prob (float): Chance that an image is masked at all. Defaults to 0.015.
        per_image (bool): Draw one location per image instead of one per batch.
            Defaults to False (the released code).
    """

    def __init__(self, mask_prob: float = 0.015, per_image: bool = False) -> None:
        if not 0 <= mask_prob <= 1:
            raise ValueError(f'MVMMasker: mask_prob must be in [0, 1], got {mask_prob}')
        self.mask_prob = mask_prob
        self.per_image = per_image

    def __call__(self, indices: Tensor, valid: Tensor,
                 generator: Optional[torch.Generator] = None) -> Tensor:
        """Return the B x N bool mask from the entry ``indices`` (B x N, -100 at padding)."""
        batch, num = indices.shape
        loc = torch.randint(num, (batch if self.per_image else 1, 1), generator=generator)
        chosen = indices.gather(1, loc.to(indices.device).expand(batch, 1))
        on = torch.rand(batch, 1, generator=generator) < self.mask_prob
        return (indices == chosen) & valid.bool() & on.to(indices.device) & (chosen >= 0)


@MODELS.register_module()
class SOHOPretrainer(GridVLPretrainer):
    """SOHO pre-training model (MLM + MVM + ITM, equal weights).

    Args:
        encoder (dict): Config of :class:`GridVLEncoder` with ``visual_embed='sine'``.
        itm_head (dict): Config of the ITM head.
        num_tokens (int): Visual dictionary size. Defaults to 2048.
        decay (float): Dictionary EMA decay (released config: 0.4). Defaults to 0.4.
        gate (bool): Gate the quantised and raw features (``SimpleVDforPreGate``, the released
            config) instead of adding them (``SimpleVDforPre``). Defaults to True.
        mvm_masker (dict): Config of :class:`MVMMasker`. Defaults to p = 0.015.
        norm_cfg (dict): Norm after the gate's 1x1 conv (the authors': SyncBN). Defaults to
            ``dict(type='BN')``.
        **kwargs: Other arguments of :class:`GridVLPretrainer`.
    """

    def __init__(self, encoder: dict, itm_head: dict, num_tokens: int = 2048,
                 decay: float = 0.4, gate: bool = True,
                 mvm_masker: dict = dict(type='MVMMasker', mask_prob=0.015),
                 norm_cfg: dict = dict(type='BN'), **kwargs) -> None:
        super().__init__(encoder, itm_head, **kwargs)
        dims = self.hidden_size
        self.vd = MODELS.build(dict(type='VisualDictionary', num_tokens=num_tokens, dims=dims,
                                    decay=decay))
        self.vd_proj = nn.Linear(dims, dims)
        self.gate = ConvModule(2 * dims, 2, 1, norm_cfg=norm_cfg, act_cfg=None) if gate else None
        self.mask_embed = nn.Parameter(torch.randn(dims))
        self.mvm_masker = MODELS.build(mvm_masker)

    def gated_fusion(self, quantized: Tensor, feats: Tensor) -> Tensor:
        """``g_q q + g_x x`` with ``[g_q, g_x] = softmax(gate([q, x]))``; or ``q + x``."""
        if self.gate is None:
            return quantized + feats
        weights = F.softmax(self.gate(torch.cat([quantized, feats], dim=1)), dim=1)
        return quantized * weights[:, :1] + feats * weights[:, 1:]

    def quantize(self, feats: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Dictionary step on the valid cells: quantised grid (B x C x h x w) and indices (B x N).

        Padded cells keep their raw feature, get index -100 and do not update the dictionary
        (the released code also feeds padding into the EMA).
        """
        batch, dims, h, w = feats.shape
        flat = feats.permute(0, 2, 3, 1).reshape(batch, h * w, dims)
        keep = valid.flatten(1)
        quantized = flat.clone()
        indices = torch.full((batch, h * w), -100, dtype=torch.long, device=feats.device)
        q, idx = self.vd(flat[keep])
        quantized[keep] = q
        indices[keep] = idx
        return quantized.reshape(batch, h, w, dims).permute(0, 3, 1, 2), indices

    def visual_step(self, feats: Tensor, valid: Tensor, data_samples: List
                    ) -> Tuple[Tensor, Tensor, dict]:
        """Dictionary, projection, gate, MVM masking, then position encoding and LayerNorm."""
        batch, dims, h, w = feats.shape
        quantized, indices = self.quantize(feats, valid)
        quantized = self.vd_proj(quantized.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        fused = self.gated_fusion(quantized, feats)
        mvm_mask = self.mvm_masker(indices, valid.flatten(1))
        grid_mask = mvm_mask.view(batch, 1, h, w).to(fused.dtype)
        fused = fused * (1 - grid_mask) + self.mask_embed.view(1, dims, 1, 1) * grid_mask
        tokens = self.encoder.embed_visual(fused, valid)
        labels = torch.where(mvm_mask, indices, torch.full_like(indices, -100))
        return tokens, valid.flatten(1).long(), dict(mvm_labels=labels)

    def extra_losses(self, visual_hidden: Tensor, extra: dict) -> dict:
        """MVM: cosine logits against the (fixed) dictionary, CE over masked tokens."""
        labels = extra['mvm_labels']
        picked = labels >= 0
        if not picked.any():
            return dict(loss_mvm=visual_hidden.sum() * 0)
        logits = F.normalize(visual_hidden[picked], dim=-1) @ F.normalize(
            self.vd.embed, dim=-1).t()
        return dict(loss_mvm=F.cross_entropy(logits, labels[picked]),
                    acc_mvm=(logits.argmax(-1) == labels[picked]).float().mean() * 100)
