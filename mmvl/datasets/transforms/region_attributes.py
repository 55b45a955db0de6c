# Copyright (c) mmvl contributors. All rights reserved.
"""Attribute labels of detection instances (Visual Genome, bottom-up-attention convention)."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs

from mmvl.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadAttributeLabels(BaseTransform):
    """Load ``instances[i]['attr_labels']`` as ``gt_attr_labels``, an N x ``max_attrs`` int64
    array padded with -1 (the form the attribute head's loss reads).

    Use it next to mmdet's ``LoadAnnotations`` (it keeps the instance order). Geometric
    transforms that only move boxes (resize, flip) leave it valid; transforms that drop
    instances must not run after it.

    Args:
        max_attrs (int): Columns of the array; BUTD allows 16 attributes per object.
            Defaults to 16.
    """

    def __init__(self, max_attrs: int = 16) -> None:
        self.max_attrs = max_attrs

    def transform(self, results: dict) -> dict:
        instances = results.get('instances', [])
        labels = np.full((len(instances), self.max_attrs), -1, dtype=np.int64)
        for i, instance in enumerate(instances):
            attrs = list(instance.get('attr_labels', []))[:self.max_attrs]
            labels[i, :len(attrs)] = attrs
        results['gt_attr_labels'] = labels
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(max_attrs={self.max_attrs})'


@TRANSFORMS.register_module()
class PackRegionDetInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` that also packs ``gt_attr_labels`` into
    ``gt_instances.attr_labels``."""

    mapping_table = dict(PackDetInputs.mapping_table, gt_attr_labels='attr_labels')
