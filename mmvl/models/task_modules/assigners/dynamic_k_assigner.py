# Copyright (c) mmvl contributors. All rights reserved.
"""SimOTA-style dynamic-k one-to-many assigner for DETR-like query heads."""
from typing import Optional, Sequence, Tuple

import torch
from mmdet.models.task_modules.assigners import AssignResult, BaseAssigner
from mmdet.models.task_modules.assigners.match_cost import FocalLossCost, IoUCost
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from mmvl.registry import TASK_UTILS

INF = float('inf')


@TASK_UTILS.register_module()
class DynamicKAssigner(BaseAssigner):
    """One-to-many "dynamic-k" (SimOTA-style) assigner for decoder queries.

    This is the matcher ``HungarianMatcherVL.forward_ota`` of UNINEXT
    ("Universal Instance Perception as Object Discovery and Retrieval",
    Yan et al., CVPR 2023). SWORD ("Exploring Transformers for Open-world
    Instance Segmentation", Wu et al., ICCV 2023) uses the same rule for its
    heuristic one-to-many label assignment.

    The rule, for one image:

    1. Candidates. A query is a candidate if the centre of its predicted box
       lies inside some GT box, or within ``center_radius`` times the image
       size of some GT centre (``center_radius * w`` horizontally,
       ``center_radius * h`` vertically; the authors use ``2.5 / 32`` on
       normalised coordinates). ``in_box_and_center`` is, per (query, GT),
       "inside that GT box and near that GT centre".
    2. Cost per (query, GT)::

           cls_weight * focal_cost + iou_weight * (-GIoU)
           + not_center_cost * [not in_box_and_center]
           + non_candidate_cost * [query is not a candidate]

       where the focal cost (alpha 0.25, gamma 2) is taken on the GT's label.
    3. Dynamic k. Per GT, ``k = max(1, floor(sum of its topk_iou largest IoUs
       over the candidate queries))``.
    4. Each GT takes its ``k`` lowest-cost queries; a query claimed by several
       GTs is kept only by the claiming GT with the lowest cost.
    5. Every GT ends with at least one query: a GT left without a query takes
       its lowest-cost query that is not the sole query of another GT.

    Each query is thus assigned to at most one GT, and a GT may get several
    queries. The result follows mmdet's conventions: ``gt_inds`` is 0 for
    background and ``i + 1`` for a query assigned to GT ``i``, ``labels`` is
    -1 for background, and ``max_overlaps`` holds the IoU between each query
    and its assigned GT (0 for background).

    Where this differs from the authors' code is explained in the NOTE in
    :meth:`dynamic_k_matching`.

    Args:
        cls_weight (float): Weight of the focal classification cost.
            Defaults to 1.0.
        iou_weight (float): Weight of the GIoU cost. Defaults to 3.0.
        center_radius (float): Radius of the centre region, as a fraction of
            the image width (x) and height (y). Defaults to 2.5 / 32.
        topk_iou (int): Number of largest IoUs summed to get a GT's dynamic
            k. Defaults to 10.
        not_center_cost (float): Cost added to a (query, GT) pair whose query
            centre is not both inside the GT box and near its centre.
            Defaults to 100.0.
        non_candidate_cost (float): Cost added to queries that are not
            candidates for any GT. Defaults to 1e4.
        alpha (float): Alpha of the focal cost. Defaults to 0.25.
        gamma (float): Gamma of the focal cost. Defaults to 2.0.
        eps (float): Epsilon inside the logarithms of the focal cost, as in
            the authors' code. Defaults to 1e-8.
        conflict_rule (str): Who keeps a query that several GTs claimed:
            ``'all'``, the GT of lowest cost over all GTs (SimOTA in YOLOX, and
            UNINEXT's code), or ``'claimants'``, the cheapest GT among those
            that claimed it. Defaults to ``'all'``.
        k_over (str): Which queries' IoUs are summed for a GT's k:
            ``'candidates'`` (SimOTA) or ``'all'`` queries (UNINEXT's code).
            Defaults to ``'candidates'``.
    """

    def __init__(self,
                 cls_weight: float = 1.0,
                 iou_weight: float = 3.0,
                 center_radius: float = 2.5 / 32,
                 topk_iou: int = 10,
                 not_center_cost: float = 100.0,
                 non_candidate_cost: float = 1e4,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 eps: float = 1e-8,
                 conflict_rule: str = 'all',
                 k_over: str = 'candidates') -> None:
        if topk_iou < 1:
            raise ValueError(f'topk_iou must be >= 1, got {topk_iou}')
        if conflict_rule not in ('all', 'claimants'):
            raise ValueError(f"conflict_rule must be 'all' or 'claimants', got {conflict_rule!r}")
        if k_over not in ('candidates', 'all'):
            raise ValueError(f"k_over must be 'candidates' or 'all', got {k_over!r}")
        self.conflict_rule = conflict_rule
        self.k_over = k_over
        self.center_radius = center_radius
        self.topk_iou = topk_iou
        self.not_center_cost = not_center_cost
        self.non_candidate_cost = non_candidate_cost
        self.cls_cost = FocalLossCost(alpha=alpha, gamma=gamma, eps=eps, weight=cls_weight)
        self.iou_cost = IoUCost(iou_mode='giou', weight=iou_weight)

    def assign(self,
               pred_instances: InstanceData,
               gt_instances: InstanceData,
               img_meta: Optional[dict] = None,
               **kwargs) -> AssignResult:
        """Assign queries to GTs with the dynamic-k rule.

        Args:
            pred_instances (:obj:`InstanceData`): Predictions of one image,
                with ``scores`` (num_queries, num_classes) classification
                logits and ``bboxes`` (num_queries, 4) xyxy in pixels.
            gt_instances (:obj:`InstanceData`): GTs of the image, with
                ``bboxes`` (num_gts, 4) xyxy in pixels and ``labels``
                (num_gts,); optionally ``positive_maps`` (num_gts, num_tokens)
                when the scores are per-token logits (see :meth:`class_cost`).
            img_meta (dict, optional): Image information; ``img_shape``
                (h, w) sets the centre radius. If None, ``img_shape`` is read
                from ``gt_instances.metainfo``.

        Returns:
            :obj:`AssignResult`: The assignment, with ``num_gts``, ``gt_inds``
            (0 background, i + 1 for GT i), ``max_overlaps`` (IoU with the
            assigned GT, 0 for background) and ``labels`` (-1 background).
        """
        gt_bboxes = gt_instances.bboxes
        gt_labels = gt_instances.labels
        pred_bboxes = pred_instances.bboxes
        num_gts, num_preds = gt_bboxes.size(0), pred_bboxes.size(0)
        device = pred_bboxes.device

        gt_inds = torch.zeros(num_preds, dtype=torch.long, device=device)
        assigned_labels = torch.full((num_preds, ), -1, dtype=torch.long, device=device)
        max_overlaps = torch.zeros(num_preds, dtype=torch.float32, device=device)
        if num_gts == 0 or num_preds == 0:
            return AssignResult(num_gts, gt_inds, max_overlaps, labels=assigned_labels)

        img_shape = self._get_img_shape(img_meta, gt_instances)
        with torch.no_grad():
            preds = InstanceData(
                bboxes=pred_bboxes.detach().float(),
                scores=pred_instances.scores.detach().float())
            gts = InstanceData(bboxes=gt_bboxes.detach().float(), labels=gt_labels)
            if 'positive_maps' in gt_instances:
                gts.positive_maps = gt_instances.positive_maps
            candidate, in_box_and_center = self.get_in_boxes_info(
                preds.bboxes, gts.bboxes, img_shape)
            cost = self.compute_cost(preds, gts, candidate, in_box_and_center)
            ious = bbox_overlaps(preds.bboxes, gts.bboxes, mode='iou')
            matching = self.dynamic_k_matching(cost, ious, candidate)

        matched = matching.any(dim=1)
        matched_gt = matching.float().argmax(dim=1)[matched]
        gt_inds[matched] = matched_gt + 1
        assigned_labels[matched] = gt_labels[matched_gt].long()
        max_overlaps[matched] = ious[matched, matched_gt]
        return AssignResult(num_gts, gt_inds, max_overlaps, labels=assigned_labels)

    @staticmethod
    def _get_img_shape(img_meta: Optional[dict],
                       gt_instances: InstanceData) -> Tuple[int, int]:
        """Get ``(h, w)`` from ``img_meta`` or from the GTs' metainfo."""
        if img_meta is not None and 'img_shape' in img_meta:
            return tuple(img_meta['img_shape'][:2])
        if 'img_shape' in gt_instances.metainfo:
            return tuple(gt_instances.metainfo['img_shape'][:2])
        raise ValueError('DynamicKAssigner needs img_meta["img_shape"] = (h, w) '
                         'to scale its centre radius')

    def get_in_boxes_info(self, pred_bboxes: Tensor, gt_bboxes: Tensor,
                          img_shape: Sequence[int]) -> Tuple[Tensor, Tensor]:
        """Find the candidate queries from their box centres.

        Args:
            pred_bboxes (Tensor): Predicted boxes (num_queries, 4), xyxy.
            gt_bboxes (Tensor): GT boxes (num_gts, 4), xyxy.
            img_shape (Sequence[int]): Image shape (h, w).

        Returns:
            tuple[Tensor, Tensor]: ``candidate`` (num_queries,), True for
            queries whose centre is in some GT box or near some GT centre;
            ``in_box_and_center`` (num_queries, num_gts), True where the
            query centre is both inside the GT box and near the GT centre.
        """
        img_h, img_w = img_shape[:2]
        pred_cx = ((pred_bboxes[:, 0] + pred_bboxes[:, 2]) / 2)[:, None]
        pred_cy = ((pred_bboxes[:, 1] + pred_bboxes[:, 3]) / 2)[:, None]

        in_box = ((pred_cx > gt_bboxes[None, :, 0]) & (pred_cx < gt_bboxes[None, :, 2])
                  & (pred_cy > gt_bboxes[None, :, 1]) & (pred_cy < gt_bboxes[None, :, 3]))

        gt_cx = (gt_bboxes[:, 0] + gt_bboxes[:, 2]) / 2
        gt_cy = (gt_bboxes[:, 1] + gt_bboxes[:, 3]) / 2
        radius_x = self.center_radius * img_w
        radius_y = self.center_radius * img_h
        in_center = (((pred_cx - gt_cx[None]).abs() < radius_x)
                     & ((pred_cy - gt_cy[None]).abs() < radius_y))

        candidate = (in_box | in_center).any(dim=1)
        return candidate, in_box & in_center

    def compute_cost(self, preds: InstanceData, gts: InstanceData, candidate: Tensor,
                     in_box_and_center: Tensor) -> Tensor:
        """Compute the (num_queries, num_gts) matching cost.

        Args:
            preds (:obj:`InstanceData`): ``scores`` (logits) and ``bboxes``.
            gts (:obj:`InstanceData`): ``labels`` and ``bboxes``.
            candidate (Tensor): Candidate mask (num_queries,).
            in_box_and_center (Tensor): Mask (num_queries, num_gts).

        Returns:
            Tensor: The cost matrix (num_queries, num_gts).
        """
        cost = self.class_cost(preds, gts) + self.iou_cost(preds, gts)
        cost = cost + self.not_center_cost * (~in_box_and_center).float()
        cost = cost + self.non_candidate_cost * (~candidate).float()[:, None]
        return cost

    def class_cost(self, preds: InstanceData, gts: InstanceData) -> Tensor:
        """Focal cost (num_queries, num_gts) of each GT's label, or of its tokens.

        With ``gts.positive_maps`` (num_gts, num_tokens), ``preds.scores`` are per-token
        logits (UNINEXT's prompt retrieval) and a GT's cost is the focal cost averaged over
        its positive tokens.
        """
        if 'positive_maps' not in gts:
            return self.cls_cost(preds, gts)
        num_tokens = preds.scores.size(1)
        every_token = InstanceData(labels=torch.arange(num_tokens, device=preds.scores.device))
        token_cost = self.cls_cost(preds, every_token)  # (num_queries, num_tokens)
        token_map = gts.positive_maps.to(token_cost.dtype)
        return token_cost @ (token_map / token_map.sum(1, keepdim=True).clamp(min=1)).T

    def get_dynamic_ks(self, ious: Tensor, candidate: Tensor) -> Tensor:
        """Get each GT's number of queries from its IoUs with the candidates.

        Args:
            ious (Tensor): IoUs (num_queries, num_gts).
            candidate (Tensor): Candidate mask (num_queries,).

        Returns:
            Tensor: ``max(1, floor(sum of top IoUs))`` per GT, (num_gts,).
        """
        candidate_ious = ious[candidate] if self.k_over == 'candidates' else ious
        num_gts = ious.size(1)
        topk = min(self.topk_iou, candidate_ious.size(0))
        if topk == 0:
            return ious.new_ones(num_gts, dtype=torch.long)
        topk_ious, _ = candidate_ious.topk(topk, dim=0)
        return topk_ious.sum(dim=0).floor().long().clamp(min=1)

    def dynamic_k_matching(self, cost: Tensor, ious: Tensor, candidate: Tensor) -> Tensor:
        """Match queries to GTs.

        Args:
            cost (Tensor): Cost matrix (num_queries, num_gts).
            ious (Tensor): IoUs (num_queries, num_gts).
            candidate (Tensor): Candidate mask (num_queries,).

        Returns:
            Tensor: Boolean matching matrix (num_queries, num_gts) with at
            most one True per row (query).
        """
        # NOTE: differences from the authors' ``dynamic_k_matching``:
        # - Every GT gets a query (the paper's rule). The authors' repair loop
        #   lets every empty GT take its argmin at once (after adding 1e5 to
        #   matched queries) and re-resolves conflicts with the stale mask of
        #   the first resolution, so two empty GTs can take the same query;
        #   the final ``max(1)`` then gives it to one GT and the other is left
        #   with none. With more GTs than queries their loop does not end.
        #   Here (``match_empty_gts``) an empty GT takes its lowest-cost query
        #   that is not the sole query of another GT, one GT at a time, so no
        #   fix empties another GT; if there are more GTs than queries, the
        #   GTs that cannot get one stay unmatched.
        # - A multiply-claimed query goes to the GT of lowest cost over all
        #   GTs, as SimOTA and the authors do (``conflict_rule='all'``), or to
        #   the cheapest GT among those that claimed it (``'claimants'``).
        # - Dynamic k sums the top IoUs over the candidate queries, as SimOTA
        #   does (``k_over='candidates'``; k = 1 without candidates), or over
        #   all queries, as the authors' code does (``k_over='all'``).
        # - Boxes are xyxy pixels and the centre radius is scaled by (w, h);
        #   the authors use normalised cxcywh boxes. IoU and GIoU do not
        #   change under this per-axis scaling, so the costs are the same.
        dynamic_ks = self.get_dynamic_ks(ious, candidate)
        matching = self.select_topk(cost, dynamic_ks)
        matching = self.resolve_conflicts(cost, matching, self.conflict_rule)
        return self.match_empty_gts(cost, matching)

    @staticmethod
    def select_topk(cost: Tensor, dynamic_ks: Tensor) -> Tensor:
        """Let each GT claim its ``k`` lowest-cost queries.

        Args:
            cost (Tensor): Cost matrix (num_queries, num_gts).
            dynamic_ks (Tensor): ``k`` per GT (num_gts,).

        Returns:
            Tensor: Boolean claim matrix (num_queries, num_gts).
        """
        num_preds = cost.size(0)
        order = cost.argsort(dim=0, stable=True)
        ranks = torch.empty_like(order)
        positions = torch.arange(num_preds, device=cost.device)[:, None].expand_as(order)
        ranks.scatter_(0, order, positions)
        return ranks < dynamic_ks.clamp(max=num_preds)[None, :]

    @staticmethod
    def resolve_conflicts(cost: Tensor, matching: Tensor, rule: str = 'all') -> Tensor:
        """Keep a multiply-claimed query for one GT only.

        Args:
            cost (Tensor): Cost matrix (num_queries, num_gts).
            matching (Tensor): Boolean claim matrix (num_queries, num_gts).
            rule (str): ``'all'``: the GT of lowest cost over all GTs (SimOTA);
                ``'claimants'``: the cheapest of the GTs that claimed it.

        Returns:
            Tensor: Matching with at most one True per row.
        """
        multiple = matching.sum(dim=1) > 1
        if not multiple.any():
            return matching
        best_gt = (cost if rule == 'all' else cost.masked_fill(~matching, INF)).argmin(dim=1)
        matching = matching.clone()
        matching[multiple] = False
        matching[multiple, best_gt[multiple]] = True
        return matching

    @staticmethod
    def match_empty_gts(cost: Tensor, matching: Tensor) -> Tensor:
        """Give each GT without a query one query, when that is possible.

        An empty GT may take a query that is unassigned or belongs to a GT
        with several queries, never the sole query of another GT; among the
        empty GTs, the one with the cheapest available query goes first.

        Args:
            cost (Tensor): Cost matrix (num_queries, num_gts).
            matching (Tensor): Matching with at most one True per row.

        Returns:
            Tensor: The matching, where every GT has a query unless there are
            not enough queries.
        """
        matching = matching.clone()
        while True:
            empty_gts = ~matching.any(dim=0)
            if not empty_gts.any():
                break
            sole = (matching & (matching.sum(dim=0, keepdim=True) == 1)).any(dim=1)
            allowed = ~sole[:, None] & empty_gts[None, :]
            if not allowed.any():
                # Every query is the only query of its GT: nothing is free.
                break
            pairs = allowed.nonzero()
            query, gt = pairs[cost[allowed].argmin()].tolist()
            matching[query] = False
            matching[query, gt] = True
        return matching
