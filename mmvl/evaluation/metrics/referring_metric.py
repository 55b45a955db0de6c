# Copyright (c) mmvl contributors. All rights reserved.
"""Referring expression comprehension (REC) and segmentation (RES) metrics.

As reported by UNINEXT, "Universal Instance Perception as Object Discovery and Retrieval"
(Yan et al., CVPR 2023, https://arxiv.org/abs/2303.06674), after SeqTR (REC) and LAVT (RES):
each sample has one referred object and is scored by its top-1 prediction.

- ``prec@t``: share of samples whose top-1 prediction has IoU >= t with the ground truth.
  REC papers (UNINEXT, SeqTR, MDETR) report box IoU at t = 0.5 ("Acc@0.5");
  RES papers (LAVT, CRIS, and MCRES, Xu et al., CVPR 2023, after them) report mask IoU
  at t = 0.5, 0.6, 0.7, 0.8, 0.9. ``prec_on`` chooses the box or the mask.
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
    """Prec@t of the top-1 box or mask, overall / mean mask IoU of the top-1 mask (UNINEXT).

    Each data sample must carry ``pred_instances`` (``bboxes`` (N, 4) xyxy and ``scores``
    (N,) in original-image pixels, plus ``masks`` (N, H, W) at the original size for the
    mask metrics) and ``gt_instances`` with exactly one instance (``bboxes``, and ``masks``
    as ``BitmapMasks``, ``PolygonMasks``, array or tensor). Samples whose metainfo says
    ``task='detection'`` are kept as placeholders, so that the metric can sit in mmdet's
    ``MultiDatasetsEvaluator`` beside a detection metric (which hands each metric its own
    slice); meeting one in ``compute_metrics`` is an error.

    Result keys (prefix ``refer``): ``prec@{t}`` per requested threshold t (written
    ``f'{t:g}'``: ``prec@0.5``, in the order requested), then ``oiou``, ``miou``, as
    requested. The same keys serve ``prec_on='mask'`` (RES Prec@X).

    Args:
        metric (str | Sequence[str]): Any of ``'prec@<t>'`` (t in (0, 1], several allowed,
            e.g. ``('prec@0.5', 'prec@0.6', 'prec@0.7', 'prec@0.8', 'prec@0.9', 'oiou',
            'miou')``), ``'oiou'``, ``'miou'``. Defaults to ``('prec@0.5', 'oiou', 'miou')``.
        iou_thr (float, optional): The one threshold ``prec@`` names may state (the
            former single-threshold argument). Defaults to None.
        iou_thrs (Sequence[float], optional): The thresholds ``prec@`` names may state;
            None (with ``iou_thr`` None) accepts any t in (0, 1]. Defaults to None.
        prec_on (str): ``'box'`` (REC, top-1 box IoU) or ``'mask'`` (RES, top-1 mask IoU,
            needs masks). Defaults to ``'box'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for collecting results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the result keys; None uses ``'refer'``.
            Defaults to None.
    """

    default_prefix: Optional[str] = 'refer'

    def __init__(self,
                 metric: Union[str, Sequence[str]] = ('prec@0.5', 'oiou', 'miou'),
                 iou_thr: Optional[float] = None,
                 iou_thrs: Optional[Sequence[float]] = None,
                 prec_on: str = 'box',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if iou_thr is not None and iou_thrs is not None:
            raise ValueError(f'give iou_thr ({iou_thr}) or iou_thrs ({iou_thrs}), not both')
        if prec_on not in ('box', 'mask'):
            raise ValueError(f"prec_on must be 'box' or 'mask', got {prec_on!r}")
        allowed = None
        if iou_thr is not None or iou_thrs is not None:
            allowed = [iou_thr] if iou_thr is not None else list(iou_thrs)
            for t in allowed:
                if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= 1:
                    raise ValueError(f'IoU thresholds must be in (0, 1], got {t!r}')
            allowed = [float(t) for t in allowed]
        metrics = [metric] if isinstance(metric, str) else list(metric)
        if not metrics:
            raise ValueError('metric must name at least one metric')
        self.iou_thrs: List[float] = []
        for m in metrics:
            if isinstance(m, str) and m.startswith('prec@'):
                t = _threshold(m)
                if allowed is not None and t not in allowed:
                    given = (f'iou_thr={iou_thr}' if iou_thr is not None else
                             f'iou_thrs={list(iou_thrs)}')
                    raise ValueError(f'metric {m!r} disagrees with {given}; name one of '
                                     f"{[f'prec@{a:g}' for a in allowed]} or change {given}")
                if t not in self.iou_thrs:
                    self.iou_thrs.append(t)
            elif m not in ('oiou', 'miou'):
                raise ValueError(f"unknown metric {m!r}; choose from 'prec@<t>' (t in (0, 1]), "
                                 "'oiou', 'miou'")
        self.prec_on = prec_on
        self.prec_keys: List[str] = [f'prec@{t:g}' for t in self.iou_thrs]
        self.metrics: List[str] = self.prec_keys + [m for m in ('oiou', 'miou') if m in metrics]
        self.with_mask = ('oiou' in self.metrics or 'miou' in self.metrics
                          or (prec_on == 'mask' and bool(self.iou_thrs)))

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
        if self.iou_thrs and self.prec_on == 'box' and top is not None:
            if pred.get('bboxes') is None:
                raise KeyError(f"metric {self.prec_keys[0]!r} needs pred_instances['bboxes'] "
                               f"({where}); use prec_on='mask' for mask precision")
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
            raise KeyError(f"computing {self.metrics} (prec_on={self.prec_on!r}) needs "
                           f"pred_instances['masks'] ({where}); the model predicted none: "
                           "request only box 'prec@...'")
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
        if self.with_mask:
            inter = np.array([r['inter'] for r in results])
            union = np.array([r['union'] for r in results])
            per_sample = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        ious = per_sample if self.prec_on == 'mask' and self.iou_thrs else np.array(
            [r['box_iou'] for r in results])
        for t, key in zip(self.iou_thrs, self.prec_keys):
            out[key] = 100.0 * float(np.mean(ious >= t))
        if self.with_mask:
            if 'oiou' in self.metrics:
                out['oiou'] = 100.0 * float(inter.sum() / max(union.sum(), 1e-12))
            if 'miou' in self.metrics:
                out['miou'] = 100.0 * float(per_sample.mean())
        MMLogger.get_current_instance().info(
            f'referring ({len(results)} samples): ' +
            ', '.join(f'{k}={v:.2f}' for k, v in out.items()))
        return {k: out[k] for k in self.metrics}


def _threshold(name: str) -> float:
    """The IoU threshold t of a ``'prec@<t>'`` metric name, checked to be in (0, 1]."""
    try:
        t = float(name[len('prec@'):])
    except ValueError:
        t = float('nan')
    if not 0.0 < t <= 1.0:
        raise ValueError(f"metric {name!r}: the threshold after 'prec@' must be a number in "
                         '(0, 1]')
    return t


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
