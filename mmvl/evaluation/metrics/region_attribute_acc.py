# Copyright (c) mmvl contributors. All rights reserved.
"""Attribute accuracy of a region detector with an attribute head (bottom-up attention)."""
from typing import Sequence

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.evaluator import BaseMetric

from mmvl.registry import METRICS


@METRICS.register_module()
class RegionAttributeAccuracy(BaseMetric):
    """How well detections predict the attributes of the ground-truth objects they cover.

    Each ground-truth object with k >= 1 attributes is matched to the highest-scoring
    detection with IoU >= ``iou_thr`` (any class); the detection's ``attr_scores`` (index 0 =
    "no attribute", index a + 1 = attribute a) rank the attributes (index 0 excluded):

    - ``attr_recall@k``: share of the object's k attributes among the top-k predicted ones,
      averaged over objects (an unmatched object scores 0);
    - ``attr_top1``: share of objects whose top predicted attribute is one of theirs;
    - ``matched``: share of objects with a matching detection.

    Ground truth comes from the data sample's ``instances`` (add ``'instances'`` to
    ``PackRegionDetInputs``' ``meta_keys``), boxes in original-image coordinates, so the
    model must predict with ``rescale=True`` (mmdet's default in ``test_step``).

    Args:
        iou_thr (float): Matching IoU. Defaults to 0.5.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'attr'.
    """

    default_prefix = 'attr'

    def __init__(self, iou_thr: float = 0.5, collect_device: str = 'cpu', prefix=None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thr = iou_thr

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'instances' not in sample:
                raise KeyError("RegionAttributeAccuracy needs the data sample's 'instances'; "
                               "add 'instances' to the pack transform's meta_keys")
            gts = [ins for ins in sample['instances'] if ins.get('attr_labels')]
            if not gts:
                continue
            pred = sample['pred_instances']
            if 'attr_scores' not in pred:
                raise KeyError('predictions lack attr_scores; is the RoI head an '
                               'AttributeRoIHead?')
            gt_boxes = torch.tensor([ins['bbox'] for ins in gts], dtype=torch.float32)
            boxes, scores = pred['bboxes'].float().cpu(), pred['scores'].cpu()
            attr_scores = pred['attr_scores'][:, 1:].cpu()
            ious = (bbox_overlaps(gt_boxes, boxes) if len(boxes) else
                    torch.zeros(len(gts), 0))
            for i, ins in enumerate(gts):
                wanted = set(ins['attr_labels'])
                cand = torch.nonzero(ious[i] >= self.iou_thr).flatten()
                if len(cand) == 0:
                    self.results.append((0., 0., 0.))
                    continue
                best = cand[scores[cand].argmax()]
                ranked = torch.argsort(attr_scores[best], descending=True).tolist()
                hits = len(wanted & set(ranked[:len(wanted)]))
                self.results.append((hits / len(wanted), float(ranked[0] in wanted), 1.))

    def compute_metrics(self, results: list) -> dict:
        if not results:
            return {'attr_recall@k': 0., 'attr_top1': 0., 'matched': 0.}
        mean = np.asarray(results, dtype=np.float64).mean(axis=0) * 100
        return {'attr_recall@k': float(mean[0]), 'attr_top1': float(mean[1]),
                'matched': float(mean[2])}
