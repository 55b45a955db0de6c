# Copyright (c) mmvl contributors. All rights reserved.
"""Class-agnostic open-world recall and precision (the OLN / GGN / LDET protocol).

Protocol of OLN, "Learning Open-World Object Proposals without Learning to Classify"
(Kim et al., RA-L 2022, https://github.com/mcahny/object_localization_network,
``mmdet/datasets/cocoeval_wrappers.py``), also used by GGN, LDET and SWORD, "Exploring
Transformers for Open-world Instance Segmentation" (Wu et al., ICCV 2023), e.g. for the
VOC -> non-VOC split of COCO val2017:

1. Every detection and every ground truth (GT) is one class "object" (``COCOeval`` with
   ``useCats=0``).
2. GTs of the *seen* (training) classes are ignored, like crowd regions: finding them is
   neither a hit nor a false positive, missing them is not a miss.
3. A detection that matches a seen-class GT (IoU >= ``seen_iou_thr``) is removed from the
   image's detection list before the top-k budget is taken, so finding seen objects does
   not use up the budget k of AR@k.

   # NOTE: OLN's released ``COCOEvalXclassWrapper.evaluateImg`` removes them after its cut
   # to the largest budget (``maxDets[-1]``; ``accumulate`` cuts the smaller budgets after
   # the removal), so only the largest budget can differ from mmvl, and only on images with
   # more detections than that budget. mmvl removes before every cut, as the protocol is
   # described. A detection is removed by its IoU alone (no one-to-one matching with the
   # seen GTs, no area range), and is kept if it also reaches ``seen_iou_thr`` on a
   # non-crowd unseen GT, like COCO matching preferring non-ignored GTs.
4. AR@k for every budget k (IoU 0.5:0.95, area 'all'), AR per COCO area range and
   class-agnostic AP / AP50 are read from pycocotools' ``accumulate`` as usual.

Glossary:
    seen GT: a GT whose category name is in ``seen_classes``; ignored.
    unseen GT: any other GT; the objects that recall is measured on (crowd GTs stay
        ignored as in COCO).
    removed detection: IoU >= ``seen_iou_thr`` with some seen GT and below it with
        every non-crowd unseen GT; dropped before the budget (step 3).
    budget k: at most k detections per image, highest scores first (``maxDets``).

Everything else (greedy matching, crowd handling, area ranges, the 101-point precision)
is pycocotools' own ``COCOeval``; only the seen-GT ignore flag and the removal are added.
"""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, List, Literal, Optional, Sequence, Set, Union

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmvl.registry import METRICS

VALID_METRICS = ('bbox', 'segm')
DEFAULT_PROPOSAL_NUMS = (10, 20, 30, 50, 100, 300, 500, 1000, 1500)
AREA_SUFFIX = {'small': 's', 'medium': 'm', 'large': 'l'}


def _quiet_coco(ann_file: str) -> COCO:
    """Load a COCO json without pycocotools' progress prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(ann_file)


class OpenWorldCOCOeval(COCOeval):
    """``COCOeval`` with seen-class GTs ignored and seen-matched detections removed.

    Args:
        coco_gt (COCO): Ground truth.
        coco_dt (COCO): Detections (``coco_gt.loadRes``).
        iou_type (str): ``'bbox'`` or ``'segm'``.
        seen_cat_ids (Set[int]): Category ids whose GTs are ignored.
        seen_iou_thr (float): IoU at or above which a detection on a seen GT is removed.
    """

    def __init__(self, coco_gt: COCO, coco_dt: COCO, iou_type: str,
                 seen_cat_ids: Set[int], seen_iou_thr: float) -> None:
        super().__init__(coco_gt, coco_dt, iou_type)
        self.params.useCats = 0
        self.seen_cat_ids = set(seen_cat_ids)
        self.seen_iou_thr = seen_iou_thr

    def _pair_ious(self, dts: List[dict], gts: List[dict]) -> np.ndarray:
        """IoU matrix (len(dts), len(gts)) with COCO's crowd rule, as ``computeIoU``."""
        if not dts or not gts:
            return np.zeros((len(dts), len(gts)))
        key = 'segmentation' if self.params.iouType == 'segm' else 'bbox'
        iscrowd = [int(g.get('iscrowd', 0)) for g in gts]
        ious = mask_util.iou([d[key] for d in dts], [g[key] for g in gts], iscrowd)
        return np.asarray(ious).reshape(len(dts), len(gts))

    def _prepare(self) -> None:
        """COCO's preparation, then the seen-GT ignore flag and the removal.

        Removing here, before ``computeIoU`` and ``evaluateImg`` cut the detections to the
        largest budget and ``accumulate`` to each budget, keeps removed detections out of
        every budget.
        """
        super()._prepare()
        image_gts: Dict[int, List[dict]] = {}
        for (img_id, _), gts in self._gts.items():
            image_gts.setdefault(img_id, []).extend(gts)
        for gts in image_gts.values():
            for g in gts:
                if g['category_id'] in self.seen_cat_ids:
                    g['ignore'] = 1  # -> '_ignore' in evaluateImg: neither hit nor miss
        for (img_id, cat_id), dts in self._dts.items():
            gts = image_gts.get(img_id, [])
            seen = [g for g in gts if g['category_id'] in self.seen_cat_ids]
            if not dts or not seen:
                continue
            unseen = [g for g in gts
                      if g['category_id'] not in self.seen_cat_ids and not g.get('iscrowd', 0)]
            on_seen = self._pair_ious(dts, seen).max(axis=1) >= self.seen_iou_thr
            on_unseen = (self._pair_ious(dts, unseen).max(axis=1) >= self.seen_iou_thr
                         if unseen else np.zeros(len(dts), dtype=bool))
            removed = on_seen & ~on_unseen
            self._dts[img_id, cat_id] = [d for d, r in zip(dts, removed) if not r]


@METRICS.register_module()
class OpenWorldMetric(BaseMetric):
    """Class-agnostic AR@k and AP on unseen classes (OLN / GGN / LDET / SWORD protocol).

    Result keys (prefix ``open_world``), for each ``m`` in ``metric``:
    ``{m}_AR@{k}`` for every budget k; ``{m}_AR@{k_a}_s/_m/_l`` per COCO area range and
    ``{m}_AP``, ``{m}_AP50`` (IoU 0.5:0.95 / 0.5), both at ``k_a`` = 100 if 100 is a budget,
    else the largest budget. Values are in [0, 1]; -1 means no unseen GT in that range
    (pycocotools' convention).

    Args:
        ann_file (str): COCO instances json of the evaluation set (all classes, seen and
            unseen).
        seen_classes (Sequence[str]): Category names of the training classes; their GTs are
            ignored and detections on them are removed. Empty means plain class-agnostic
            COCO evaluation. Defaults to ``()``.
        metric (str | Sequence[str]): ``'bbox'``, ``'segm'`` or both. Defaults to
            ``'bbox'`` (box proposals are OLN's main benchmark).
        proposal_nums (Sequence[int], optional): Budgets k. ``None`` uses OLN's
            (10, 20, 30, 50, 100, 300, 500, 1000, 1500), capped to the budgets not larger
            than the most detections any image has (budgets beyond what the model predicts
            would repeat the largest number); explicit budgets are all reported.
            Defaults to None.
        seen_iou_thr (float): IoU with a seen GT at or above which a detection is removed;
            0.5 as OLN (the loosest COCO IoU threshold, so a remaining detection can never
            match a seen GT at any of the thresholds). Defaults to 0.5.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for collecting results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the result keys; ``None`` uses ``'open_world'``.
            Defaults to None.
    """

    default_prefix: Optional[str] = 'open_world'

    def __init__(self,
                 ann_file: str,
                 seen_classes: Sequence[str] = (),
                 metric: Union[Literal['bbox', 'segm'], Sequence[str]] = 'bbox',
                 proposal_nums: Optional[Sequence[int]] = None,
                 seen_iou_thr: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        metrics = [metric] if isinstance(metric, str) else list(metric)
        invalid = [m for m in metrics if m not in VALID_METRICS]
        if not metrics or invalid:
            raise ValueError(f'metric must be one or more of {VALID_METRICS}, got {metric!r}')
        self.metrics: List[str] = list(dict.fromkeys(metrics))
        if not 0.0 < seen_iou_thr <= 1.0:
            raise ValueError(f'seen_iou_thr must be in (0, 1], got {seen_iou_thr}')
        self.seen_iou_thr = float(seen_iou_thr)
        if proposal_nums is not None:
            nums = [int(k) for k in proposal_nums]
            if not nums or any(k <= 0 for k in nums):
                raise ValueError(
                    f'proposal_nums must be positive integers, got {proposal_nums!r}')
            proposal_nums = tuple(sorted(set(nums)))
        self.proposal_nums: Optional[tuple] = proposal_nums
        if isinstance(seen_classes, str):
            raise TypeError(f'seen_classes must be a sequence of names, got the string '
                            f'{seen_classes!r}; use [{seen_classes!r}]')

        self.ann_file = ann_file
        self._coco_gt = _quiet_coco(ann_file)
        # LVIS-format files have no 'iscrowd', which COCOeval reads: none of them is a crowd
        for ann in self._coco_gt.dataset.get('annotations', []):
            ann.setdefault('iscrowd', 0)
        cats = self._coco_gt.loadCats(self._coco_gt.getCatIds())
        name_to_id = {c['name']: c['id'] for c in cats}
        unknown = [n for n in seen_classes if n not in name_to_id]
        if unknown:
            raise ValueError(f'seen_classes {unknown} are not categories of {ann_file}; '
                             f'its categories are {sorted(name_to_id)}')
        self.seen_classes = tuple(seen_classes)
        self.seen_cat_ids: Set[int] = {name_to_id[n] for n in seen_classes}

    def process(self, data_batch: object, data_samples: Sequence[dict]) -> None:
        """Store one batch of predictions.

        Args:
            data_batch (object): Unused.
            data_samples (Sequence[dict]): Each with ``img_id`` and ``pred_instances``
                holding ``bboxes`` (N, 4) xyxy in original-image pixels, ``scores`` (N,)
                and, for ``'segm'``, ``masks`` (N, H, W) bool (or RLE dicts).
        """
        for sample in data_samples:
            pred = sample['pred_instances']
            if hasattr(pred, 'to_dict'):
                pred = pred.to_dict()
            result = dict(
                img_id=int(sample['img_id']),
                bboxes=_to_numpy(pred['bboxes']).reshape(-1, 4).astype(np.float64),
                scores=_to_numpy(pred['scores']).reshape(-1).astype(np.float64))
            if 'segm' in self.metrics:
                if 'masks' not in pred:
                    raise KeyError("metric 'segm' needs pred_instances['masks']")
                result['masks'] = _encode_masks(pred['masks'])
            self.results.append(result)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Evaluate the stored predictions; see the class docstring for the keys."""
        logger = MMLogger.get_current_instance()
        img_ids = sorted({r['img_id'] for r in results})
        known = set(self._coco_gt.getImgIds())
        missing = [i for i in img_ids if i not in known]
        if missing:
            raise ValueError(f'img_id {missing[:5]} not in {self.ann_file}')
        max_per_image = max([len(r['scores']) for r in results] + [0])
        budgets = self._budgets(max_per_image)
        if self.proposal_nums is None and budgets != DEFAULT_PROPOSAL_NUMS:
            logger.info(f'open-world budgets capped to {budgets} '
                        f'(at most {max_per_image} detections per image)')
        k_area = 100 if 100 in budgets else budgets[-1]

        out: Dict[str, float] = OrderedDict()
        for metric in self.metrics:
            coco_eval = OpenWorldCOCOeval(
                self._coco_gt, self._load_results(results, metric), metric,
                self.seen_cat_ids, self.seen_iou_thr)
            coco_eval.params.imgIds = img_ids
            coco_eval.params.maxDets = list(budgets)
            with contextlib.redirect_stdout(io.StringIO()):
                coco_eval.evaluate()
                coco_eval.accumulate()
            p = coco_eval.params
            recall = coco_eval.eval['recall']  # (T, K=1, A, M)
            precision = coco_eval.eval['precision']  # (T, R, K=1, A, M)
            area_idx = {lbl: i for i, lbl in enumerate(p.areaRngLbl)}
            m_area = p.maxDets.index(k_area)
            for m, k in enumerate(p.maxDets):
                out[f'{metric}_AR@{k}'] = _mean_valid(recall[:, 0, area_idx['all'], m])
            for lbl, suffix in AREA_SUFFIX.items():
                out[f'{metric}_AR@{k_area}_{suffix}'] = _mean_valid(
                    recall[:, 0, area_idx[lbl], m_area])
            t50 = int(np.argmin(np.abs(p.iouThrs - 0.5)))
            out[f'{metric}_AP'] = _mean_valid(precision[:, :, 0, area_idx['all'], m_area])
            out[f'{metric}_AP50'] = _mean_valid(precision[t50, :, 0, area_idx['all'], m_area])
            logger.info(f'open-world {metric}: ' +
                        ', '.join(f'{k}={v:.4f}' for k, v in out.items()
                                  if k.startswith(metric)))
        return dict(out)

    def _budgets(self, max_per_image: int) -> tuple:
        """Budgets k: explicit ones as given, the default capped by what is predicted."""
        if self.proposal_nums is not None:
            return self.proposal_nums
        capped = tuple(k for k in DEFAULT_PROPOSAL_NUMS if k <= max_per_image)
        return capped or DEFAULT_PROPOSAL_NUMS[:1]

    def _load_results(self, results: list, metric: str) -> COCO:
        """Predictions as a COCO result object; every detection gets the first category."""
        cat_id = self._coco_gt.getCatIds()[0]
        anns = []
        for r in results:
            for i, (box, score) in enumerate(zip(r['bboxes'], r['scores'])):
                ann = dict(image_id=r['img_id'], category_id=cat_id, score=float(score))
                if metric == 'bbox':
                    x1, y1, x2, y2 = (float(v) for v in box)
                    ann['bbox'] = [x1, y1, x2 - x1, y2 - y1]
                else:
                    ann['segmentation'] = r['masks'][i]
                anns.append(ann)
        if anns:
            with contextlib.redirect_stdout(io.StringIO()):
                return self._coco_gt.loadRes(anns)
        coco_dt = COCO()
        coco_dt.dataset = dict(images=list(self._coco_gt.dataset['images']),
                               categories=list(self._coco_gt.dataset['categories']),
                               annotations=[])
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt.createIndex()
        return coco_dt


def _to_numpy(x: Union[torch.Tensor, np.ndarray, list]) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _encode_masks(masks: Union[torch.Tensor, np.ndarray, list]) -> List[dict]:
    """(N, H, W) binary masks (or already RLE dicts) -> compressed RLEs with str counts."""
    if isinstance(masks, (list, tuple)) and (not masks or isinstance(masks[0], dict)):
        return [dict(m) for m in masks]
    arr = _to_numpy(masks).astype(np.uint8)
    rles = []
    for m in arr:
        rle = mask_util.encode(np.asfortranarray(m))
        rle['counts'] = rle['counts'].decode('utf-8')
        rles.append(rle)
    return rles


def _mean_valid(values: np.ndarray) -> float:
    """Mean over entries > -1 (pycocotools marks 'no GT' with -1); -1 if none is valid."""
    valid = values[values > -1]
    return float(valid.mean()) if valid.size else -1.0
