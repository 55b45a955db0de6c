# Copyright (c) mmvl contributors. All rights reserved.
"""SWORD, "Exploring Transformers for Open-world Instance Segmentation" (Wu et al., ICCV 2023).

The detector is mmdet's DINO (two-stage Deformable-DETR with mixed query selection and
contrastive denoising) with two changes: the encoder memory is handed to the head, whose
dynamic mask head builds its pixel embedding from it, and, for open-world training, every
annotated object is one class "object" (``class_agnostic``). SWORD's own mechanisms live in
:class:`mmvl.models.dense_heads.SWORDHead`.
"""
from typing import Dict, Tuple

import torch
from mmdet.models.detectors import DINO
from mmdet.structures import OptSampleList, SampleList
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class SWORD(DINO):
    """DINO with a query-based mask head, trained class-agnostically for the open world.

    Args:
        class_agnostic (bool): Train on one class "object": every ground-truth label
            becomes 0 (the head must have ``num_classes=1``). Defaults to True.
        *args, **kwargs: Those of mmdet's ``DINO``.
    """

    def __init__(self, *args, class_agnostic: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.class_agnostic = class_agnostic
        if class_agnostic and self.bbox_head.num_classes != 1:
            raise ValueError('class_agnostic=True needs bbox_head.num_classes=1, got '
                             f'{self.bbox_head.num_classes}')

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        if self.class_agnostic:  # on copies: the caller's data samples keep their labels
            batch_data_samples = [self._as_one_class(s) for s in batch_data_samples]
        return super().loss(batch_inputs, batch_data_samples)

    @staticmethod
    def _as_one_class(data_sample):
        """A shallow copy of ``data_sample`` whose ground-truth labels are all 0."""
        data_sample = data_sample.clone()
        gt_instances = data_sample.gt_instances.clone()
        gt_instances.labels = torch.zeros_like(gt_instances.labels)
        data_sample.gt_instances = gt_instances
        return data_sample

    def pre_decoder(self, memory: Tensor, memory_mask: Tensor, spatial_shapes: Tensor,
                    batch_data_samples: OptSampleList = None) -> Tuple[Dict, Dict]:
        """DINO's query preparation; the head also receives the encoder memory."""
        decoder_inputs_dict, head_inputs_dict = super().pre_decoder(
            memory, memory_mask, spatial_shapes, batch_data_samples)
        head_inputs_dict.update(memory=memory, spatial_shapes=spatial_shapes)
        return decoder_inputs_dict, head_inputs_dict
