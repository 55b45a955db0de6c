# Copyright (c) mmvl contributors. All rights reserved.
"""VQA and NLVR2 fine-tuning of a grid-feature VL encoder (SOHO, Pixel-BERT).

SOHO (CVPR 2021, Sec. 4.2; ``models/soho_singleStream_VQA.py`` and ``necks.SimpleVDforVQA``
in github.com/researchmm/soho@95824a8) and Pixel-BERT (arXiv 2004.00849, Sec. 4.2) fine-tune
the whole encoder with a classifier on the fused [CLS] output. SOHO's fine-tuning neck drops
the visual dictionary (grid features + position + LayerNorm); Pixel-BERT uses every pixel (no
sampling). NLVR2 follows the "pair" setting: the encoder runs on (image 0, sentence) and
(image 1, sentence) and a head classifies the two [CLS] vectors concatenated.
"""
from typing import List

from torch import Tensor

from mmvl.registry import MODELS
from .base import GridVLBaseModel


@MODELS.register_module()
class GridVLVQA(GridVLBaseModel):
    """VQA as answer classification on the fused [CLS] feature.

    Args:
        encoder (dict): Config of :class:`GridVLEncoder`.
        head (dict): Config of ``VQAClassificationHead`` (``in_channels`` is filled in).
        **kwargs: ``data_preprocessor``, ``init_cfg`` of :class:`GridVLBaseModel`.

    ``predict`` reads ``question`` and sets ``pred_answer``, ``pred_score`` and
    ``pred_answer_scores`` on each sample.
    """

    def __init__(self, encoder: dict, head: dict, **kwargs) -> None:
        super().__init__(encoder, **kwargs)
        self.head = MODELS.build(dict(head, in_channels=self.hidden_size))

    def loss(self, images: Tensor, data_samples: List) -> dict:
        """BCE against the soft answer scores (see the head)."""
        return self.head.loss(self.extract_feat(images, data_samples)[:, 0], data_samples)

    def predict(self, images: Tensor, data_samples: List) -> List:
        """Answer each sample's question."""
        return self.head.predict(self.extract_feat(images, data_samples)[:, 0], data_samples)


@MODELS.register_module()
class GridVLNLVR2(GridVLBaseModel):
    """NLVR2 in the pair setting (Pixel-BERT Sec. 4.2).

    ``images`` is B x 2 x 3 x H x W (mmpretrain's ``MultiModalDataPreprocessor`` stacks the
    two images of each sample on dim 1); both views are taken as fully valid (the toy world
    and the NLVR2 configs resize both images to one size without padding).

    Args:
        encoder (dict): Config of :class:`GridVLEncoder`.
        head (dict): Config of ``NLVR2PairHead`` (``in_channels`` is filled in).
        **kwargs: ``data_preprocessor``, ``init_cfg`` of :class:`GridVLBaseModel`.
    """

    def __init__(self, encoder: dict, head: dict, **kwargs) -> None:
        super().__init__(encoder, **kwargs)
        self.head = MODELS.build(dict(head, in_channels=self.hidden_size))

    def extract_feat(self, images: Tensor, data_samples: List):
        """The fused [CLS] vector of each (image k, sentence) pair, k = 0, 1."""
        if images.dim() != 5 or images.size(1) != 2:
            raise ValueError('NLVR2 expects images of shape B x 2 x 3 x H x W, got '
                             f'{tuple(images.shape)}')
        texts = [self.text_of(s) for s in data_samples]
        return tuple(self.encoder(images[:, k], texts)[:, 0] for k in range(2))

    def loss(self, images: Tensor, data_samples: List) -> dict:
        """Cross-entropy on the concatenated pair (see the head)."""
        return self.head.loss(*self.extract_feat(images, data_samples), data_samples)

    def predict(self, images: Tensor, data_samples: List) -> List:
        """Set ``pred_label`` and ``pred_score``."""
        return self.head.predict(*self.extract_feat(images, data_samples), data_samples)
