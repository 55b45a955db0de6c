# Copyright (c) mmvl contributors. All rights reserved.
"""Referring expression comprehension (REC) and segmentation (RES) metrics.

As reported by UNINEXT, "Universal Instance Perception as Object Discovery and Retrieval"
(Yan et al., CVPR 2023, https://arxiv.org/abs/2303.06674), after SeqTR (REC) and LAVT (RES):
each sample has one referred object and is scored by its top-1 prediction.

- ``prec@t``: share of samples whose top-1 box has IoU >= t with the ground-truth box.
- ``oiou``: overall IoU, sum of mask intersections over sum of mask unions on the split.
- ``miou``: mean of the per-sample mask IoUs.

A sample without predictions counts as a miss: box IoU 0, mask intersection 0 and union the
ground-truth area. Values are in percent.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvl.registry import METRICS


@METRICS.register_module()
class ReferringMetric(BaseMetric):
    """Prec@t of the top-1 box, and overall / mean mask IoU of the top-1 mask (UNINEXT).

    Each data sample must carry ``pred_instances`` (``bboxes`` (N, 4) xyxy and ``scores``
    (N,) in original-image pixels, plus ``masks`` (N, H, W) at the original size for the
    mask metrics) and ``gt_instances`` with exactly one instance (``bboxes``, and ``masks``
    as ``BitmapMasks``, ``PolygonMasks``, array or tensor). Samples whose metainfo says
    ``task='detection'`` are kept as placeholders, so that the metric can sit in mmdet's
    ``MultiDatasetsEvaluator`` beside a detection metric (which hands each metric its own
    slice); meeting one in ``compute_metrics`` is an error.

    Result keys (prefix ``refer``): ``prec@{iou_thr}`` (e.g. ``prec@0.5``), ``oiou``,
    ``miou``, as requested.

    Args:
        metric (str | Sequence[str]): Any of ``'prec@<iou_thr>'``, ``'oiou'``, ``'miou'``.
            Defaults to ``('prec@0.5', 'oiou', 'miou')``.
        iou_thr (float): Box IoU at or above which the top-1 box is correct; the ``prec@``
            name must state the same value. Defaults to 0.5.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for collecting results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the result keys; None uses ``'refer'``.
            Defaults to None.
    """

    default_prefix: Optional[str] = 'refer'

    def __init__(self,
                 metric: Union[str, Sequence[str]] = ('prec@0.5', 'oiou', 'miou'),
                 iou_thr: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0.0 < iou_thr <= 1.0:
            raise ValueError(f'iou_thr must be in (0, 1], got {iou_thr}')
        self.iou_thr = float(iou_thr)
        self.prec_key = f'prec@{self.iou_thr:g}'
        metrics = [metric] if isinstance(metric, str) else list(metric)
        for m in metrics:
            if m.startswith('prec@') and m != self.prec_key:
                raise ValueError(f'metric {m!r} disagrees with iou_thr={iou_thr}; use '
                                 f'{self.prec_key!r} or set iou_thr to its threshold')
            if m not in (self.prec_key, 'oiou', 'miou'):
                raise ValueError(f"unknown metric {m!r}; choose from "
                                 f"{(self.prec_key, 'oiou', 'miou')}")
        if not metrics:
            raise ValueError('metric must name at least one metric')
        self.metrics: List[str] = list(dict.fromkeys(metrics))
        self.with_mask = 'oiou' in self.metrics or 'miou' in self.metrics

    def process(self, data_batch: object, data_samples: Sequence[dict]) -> None:
        """Store the box IoU, mask intersection and union of each sample's top-1 prediction.

        Args:
            data_batch (object): Unused.
            data_samples (Sequence[dict]): Data samples (dicts or ``DetDataSample``).
        """
        for sample in data_samples:
            if hasattr(sample, 'to_dict'):
                sample = sample.to_dict()
            if sample.get('task', 'grounding') != 'grounding':
                self.results.append(None)  # a detection sample: another metric's slice
                continue
            self.results.append(self._score(sample))

    def _score(self, sample: dict) -> dict:
        where = sample.get('img_path', sample.get('img_id', 'a sample'))
        gt, pred = _as_dict(sample.get('gt_instances')), _as_dict(sample.get('pred_instances'))
        gt_boxes = _boxes(gt.get('bboxes'))
        if len(gt_boxes) != 1:
            raise ValueError(f'a referring sample needs exactly one gt instance, got '
                             f'{len(gt_boxes)} for {where}')
        if 'scores' not in pred:
            raise KeyError(f"pred_instances of {where} needs 'scores'")
        scores = _numpy(pred['scores']).reshape(-1)
        top = int(scores.argmax()) if scores.size else None
        result = dict(box_iou=0.0)
        if self.prec_key in self.metrics and top is not None:
            if pred.get('bboxes') is None:
                raise KeyError(f"metric {self.prec_key!r} needs pred_instances['bboxes'] "
                               f'({where})')
            result['box_iou'] = _box_iou(_boxes(pred['bboxes'])[top], gt_boxes[0])
        if not self.with_mask:
            return result
        if gt.get('masks') is None:
            raise KeyError(f'mask metrics need gt_instances.masks for {where}: load the '
                           'annotations with with_mask=True')
        gt_mask = _masks(gt['masks'])[0]
        if top is None:
            result.update(inter=0.0, union=float(gt_mask.sum()))
            return result
        if pred.get('masks') is None:
            raise KeyError(f"metric 'oiou'/'miou' needs pred_instances['masks'] ({where}); "
                           "the model predicted none: request only 'prec@...'")
        pred_mask = _masks(pred['masks'])[top]
        if pred_mask.shape != gt_mask.shape:
            raise ValueError(f'predicted mask {pred_mask.shape} and gt mask {gt_mask.shape} '
                             f'of {where} differ in size; predictions must be rescaled to '
                             'the original image')
        result.update(inter=float(np.logical_and(pred_mask, gt_mask).sum()),
                      union=float(np.logical_or(pred_mask, gt_mask).sum()))
        return result

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Aggregate the stored per-sample values; see the class docstring for the keys."""
        if any(r is None for r in results):
            raise ValueError('ReferringMetric got detection samples; evaluate a mixed set '
                             'with mmdet MultiDatasetsEvaluator and dataset_prefixes')
        if not results:
            raise ValueError('ReferringMetric got no samples')
        out = {}
        if self.prec_key in self.metrics:
            hits = [r['box_iou'] >= self.iou_thr for r in results]
            out[self.prec_key] = 100.0 * float(np.mean(hits))
        if self.with_mask:
            inter = np.array([r['inter'] for r in results])
            union = np.array([r['union'] for r in results])
            per_sample = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            if 'oiou' in self.metrics:
                out['oiou'] = 100.0 * float(inter.sum() / max(union.sum(), 1e-12))
            if 'miou' in self.metrics:
                out['miou'] = 100.0 * float(per_sample.mean())
        MMLogger.get_current_instance().info(
            f'referring ({len(results)} samples): ' +
            ', '.join(f'{k}={v:.2f}' for k, v in out.items()))
        return {k: out[k] for k in (self.prec_key, 'oiou', 'miou') if k in out}


def _as_dict(instances) -> dict:
    if instances is None:
        return {}
    return instances.to_dict() if hasattr(instances, 'to_dict') else dict(instances)


def _numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _boxes(boxes) -> np.ndarray:
    """(N, 4) float xyxy from a tensor, array or mmdet box type (``.tensor``)."""
    if boxes is None:
        return np.zeros((0, 4))
    if hasattr(boxes, 'tensor'):
        boxes = boxes.tensor
    return _numpy(boxes).reshape(-1, 4).astype(np.float64)


def _masks(masks) -> np.ndarray:
    """(N, H, W) bool from ``BitmapMasks`` / ``PolygonMasks`` (``to_ndarray``) or arrays."""
    if hasattr(masks, 'to_ndarray'):
        masks = masks.to_ndarray()
    masks = _numpy(masks)
    return masks.astype(bool).reshape((-1, ) + masks.shape[-2:])


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two xyxy boxes (continuous coordinates, no +1)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
