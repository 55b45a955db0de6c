# Copyright (c) mmvl contributors. All rights reserved.
"""VQA over dumped region features with BERT question features (arXiv 1910.13077).

"Learning Rich Image Region Representation for Visual Question Answering" (Liu et al., VQA
Challenge 2019 runner-up) improves VQA by (§2) region features from stronger detectors, (§3)
BERT token features for the question fed to existing attention heads, and (§4) an ensemble
of models (``tools/analysis_tools/vqa_ensemble.py``). This model is one ensemble member:
question encoder -> attention head over regions -> answer classifier (soft scores, BCE).
"""
from typing import Dict, List, Optional, Union

from mmengine.model import BaseDataPreprocessor, BaseModel
from torch import Tensor

from mmvl.datasets.vl.region_vqa import pad_regions
from mmvl.registry import MODELS


@MODELS.register_module()
class RegionFeaturePreprocessor(BaseDataPreprocessor):
    """Collate per-sample region inputs (``feats`` K_i x C, ``boxes`` K_i x 4) into padded
    ``feats`` (B x K x C), ``boxes`` (B x K x 4) and a validity ``mask`` (B x K)."""

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, dict) and isinstance(inputs.get('feats'), (list, tuple)):
            # mmengine's pseudo_collate turns the per-sample dicts into a dict of lists
            inputs = [dict(feats=f, boxes=b) for f, b in zip(inputs['feats'], inputs['boxes'])]
        if isinstance(inputs, (list, tuple)):
            inputs = pad_regions(list(inputs))
        return dict(inputs=inputs, data_samples=data.get('data_samples'))


@MODELS.register_module()
class RegionVQA(BaseModel):
    """Question encoder + attention head over regions + answer classifier.

    Args:
        question_encoder (dict): Config of :class:`BertQuestionEncoder`.
        head (dict): Config of the attention head (e.g. :class:`BUTDAttentionHead`);
            ``text_channels`` is filled in.
        answer_head (dict): Config of ``VQAClassificationHead``; ``in_channels`` is filled in.
        data_preprocessor (dict, optional): Defaults to :class:`RegionFeaturePreprocessor`.
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, question_encoder: dict, head: dict, answer_head: dict,
                 data_preprocessor: Optional[dict] = None, init_cfg=None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor or dict(type='RegionFeaturePreprocessor'),
            init_cfg=init_cfg)
        self.question_encoder = MODELS.build(question_encoder)
        self.head = MODELS.build(dict(head, text_channels=self.question_encoder.embed_dims))
        self.answer_head = MODELS.build(dict(answer_head, in_channels=self.head.out_channels))

    def extract_feat(self, inputs: Dict[str, Tensor], data_samples: List) -> tuple:
        """The joint embedding (B x C) and the attention weights (B x K)."""
        missing = [i for i, s in enumerate(data_samples) if 'question' not in s]
        if missing:
            raise KeyError(f'samples {missing} have no `question`')
        tokens, token_mask = self.question_encoder([s.question for s in data_samples])
        return self.head(inputs['feats'], inputs['mask'], tokens, token_mask,
                         boxes=inputs.get('boxes'))

    def forward(self, inputs: Dict[str, Tensor], data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[dict, list, Tensor]:
        if mode == 'loss':
            return self.answer_head.loss(self.extract_feat(inputs, data_samples)[0],
                                         data_samples)
        if mode == 'predict':
            joint, alpha = self.extract_feat(inputs, data_samples)
            samples = self.answer_head.predict(joint, data_samples)
            for sample, weights, mask in zip(samples, alpha, inputs['mask']):
                sample.region_attention = weights[mask].detach()
            return samples
        if mode == 'tensor':
            return self.answer_head(self.extract_feat(inputs, data_samples)[0])
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")
