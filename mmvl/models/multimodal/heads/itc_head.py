# Copyright (c) mmvl contributors. All rights reserved.
"""Image-text contrastive (ITC) head: the first stage of two-stream retrieval.

ALBEF (Li et al., NeurIPS 2021, Sec. 3.2), which EVE, ECLIP and the BLIP family follow: the
unimodal [CLS] features of images and texts are projected to a common space and
L2-normalised; s(I, T) = g_v(v_cls) . g_w(w_cls) / tau with a temperature tau (0.07, learnable
in ALBEF and clamped to [0.001, 0.5]); the loss is the InfoNCE cross-entropy of each image
against all texts of the batch and of each text against all images, averaged. Pairs that
share an image id (several captions of one image) are all positives: the target puts equal
weight on each (ALBEF's retrieval fine-tuning).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class ITCHead(BaseModule):
    """Two linear projections, a temperature and the two-way InfoNCE loss.

    Args:
        image_channels (int): Width of the image [CLS] feature.
        text_channels (int): Width of the text [CLS] feature.
        embed_dims (int): Width of the common space. Defaults to 256 (ALBEF, EVE).
        temperature (float): Initial tau. Defaults to 0.07.
        learnable_temperature (bool): Learn tau (ALBEF) or keep it fixed. Defaults to True.
        temperature_range (tuple[float, float]): Clamp of a learnt tau.
            Defaults to (0.001, 0.5).
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, image_channels: int, text_channels: int, embed_dims: int = 256,
                 temperature: float = 0.07, learnable_temperature: bool = True,
                 temperature_range: Sequence[float] = (0.001, 0.5),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        low, high = temperature_range
        if not 0 < low <= temperature <= high:
            raise ValueError(f'temperature {temperature} must lie in temperature_range '
                             f'{tuple(temperature_range)} (positive)')
        self.image_proj = nn.Linear(image_channels, embed_dims)
        self.text_proj = nn.Linear(text_channels, embed_dims)
        self.temperature_range = (low, high)
        temp = torch.tensor(float(temperature))
        if learnable_temperature:
            self.temp = nn.Parameter(temp)
        else:
            self.register_buffer('temp', temp)

    @property
    def temperature(self) -> Tensor:
        """tau, clamped to ``temperature_range``."""
        return self.temp.clamp(*self.temperature_range)

    def embed_image(self, image_cls: Tensor) -> Tensor:
        """Normalised image embeddings (B, D) from [CLS] features (B, C_img)."""
        return F.normalize(self.image_proj(image_cls), dim=-1)

    def embed_text(self, text_cls: Tensor) -> Tensor:
        """Normalised text embeddings (B, D) from [CLS] features (B, C_txt)."""
        return F.normalize(self.text_proj(text_cls), dim=-1)

    def similarity(self, image_cls: Tensor, text_cls: Tensor) -> Tensor:
        """Cosine similarity of every image with every text, (I, T), without temperature:
        the first-stage scores of :func:`~mmvl.models.multimodal.two_stage_retrieval`."""
        return self.embed_image(image_cls) @ self.embed_text(text_cls).t()

    def loss(self, image_cls: Tensor, text_cls: Tensor,
             image_ids: Optional[Sequence] = None) -> dict:
        """``loss_itc``: InfoNCE image->text and text->image, averaged.

        Args:
            image_cls (Tensor): Image [CLS] features of the B pairs, shape (B, C_img).
            text_cls (Tensor): Text [CLS] features of the same pairs, shape (B, C_txt).
            image_ids (Sequence, optional): Image id of each pair; pairs sharing an id are
                positives of each other. Defaults to None (only the diagonal).

        Returns:
            dict: ``loss_itc`` and ``acc_itc`` (percent of images whose best text is a
            positive; logged only).
        """
        logits = self.similarity(image_cls, text_cls) / self.temperature
        if image_ids is None:
            positives = torch.eye(len(logits), dtype=torch.bool, device=logits.device)
        else:
            index = {}
            ids = torch.as_tensor([
                index.setdefault(i.item() if isinstance(i, Tensor) else i, len(index))
                for i in image_ids
            ], device=logits.device)
            positives = ids[:, None] == ids[None, :]
        targets = positives.float() / positives.sum(dim=1, keepdim=True)
        loss_i2t = -(F.log_softmax(logits, dim=1) * targets).sum(1).mean()
        loss_t2i = -(F.log_softmax(logits.t(), dim=1) * targets.t()).sum(1).mean()
        hits = positives.gather(1, logits.argmax(dim=1, keepdim=True)).float().mean()
        return dict(loss_itc=(loss_i2t + loss_t2i) / 2, acc_itc=100 * hits.detach())
