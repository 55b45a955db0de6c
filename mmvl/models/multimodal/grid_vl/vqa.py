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

from mmpretrain.structures import DataSample
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

    ``images`` is B x 2 x 3 x H x W: ``VLDataPreprocessor`` pads the two images of every
    sample to one size and stacks them on dim 1. Each view's padding is masked from its own
    size: a sample's ``img_shape`` is the list of its two images' (h, w), as mmpretrain's
    ``ApplyToList`` collates it (or as the preprocessor records it), so keep-ratio resizing
    works.

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
        return tuple(self.encoder(images[:, k], texts, self.view_samples(data_samples, k))[:, 0]
                     for k in range(2))

    @staticmethod
    def view_samples(data_samples: List, k: int) -> List[DataSample]:
        """Samples holding only view ``k``'s real size, for the encoder's padding mask."""
        views = []
        for i, sample in enumerate(data_samples):
            shapes = sample.metainfo.get('img_shape')
            if (not isinstance(shapes, (list, tuple)) or len(shapes) != 2
                    or not all(isinstance(s, (list, tuple)) for s in shapes)):
                raise ValueError(
                    f'data_samples[{i}].img_shape must list the (h, w) of both images of the '
                    f'pair, got {shapes!r}: add img_shape to ApplyToList.collate_keys and '
                    'PackInputs.meta_keys (or leave it to VLDataPreprocessor)')
            views.append(DataSample(metainfo=dict(img_shape=tuple(shapes[k][:2]))))
        return views

    def loss(self, images: Tensor, data_samples: List) -> dict:
        """Cross-entropy on the concatenated pair (see the head)."""
        return self.head.loss(*self.extract_feat(images, data_samples), data_samples)

    def predict(self, images: Tensor, data_samples: List) -> List:
        """Set ``pred_label`` and ``pred_score``."""
        return self.head.predict(*self.extract_feat(images, data_samples), data_samples)
