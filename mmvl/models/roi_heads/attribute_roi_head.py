# Copyright (c) mmvl contributors. All rights reserved.
"""RoI head of the bottom-up-attention region detector (objects + attributes).

"Learning Rich Image Region Representation for Visual Question Answering" (arXiv 1910.13077,
§2) replaces the bottom-up-attention features by those of stronger Faster R-CNN FPN
detectors (ResNeXt-101/152, multi-scale training) trained the BUTD way on Visual Genome's
1,600 objects and 400 attributes. This head adds the attribute loss on positive RoIs,
attribute scores on detections, and BUTD's region selection for feature extraction.
"""
from typing import List, Tuple

import torch
from mmcv.ops import nms
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures.bbox import bbox2roi, scale_boxes
from mmengine.structures import InstanceData
from torch import Tensor

from mmvl.registry import MODELS


def select_butd_regions(boxes: Tensor,
                        cls_probs: Tensor,
                        conf_thr: float = 0.2,
                        nms_thr: float = 0.3,
                        min_boxes: int = 10,
                        max_boxes: int = 100) -> Tensor:
    """Choose the regions whose features are kept, as bottom-up attention's extractor does.

    For each object class, NMS (IoU ``nms_thr``) runs over all regions with that class's
    scores; a region's confidence is its best class score among the classes for which it
    survived NMS. Regions with confidence >= ``conf_thr`` are kept, at least ``min_boxes``
    and at most ``max_boxes`` of them (the most confident ones), most confident first.

    Args:
        boxes (Tensor): R x 4 region boxes (x1, y1, x2, y2).
        cls_probs (Tensor): R x C object class probabilities, background excluded.
        conf_thr (float): Confidence threshold. Defaults to 0.2.
        nms_thr (float): Per-class NMS IoU threshold. Defaults to 0.3.
        min_boxes (int): Fewest regions kept (if there are as many). Defaults to 10.
        max_boxes (int): Most regions kept. Defaults to 100.

    Returns:
        Tensor: Indices of the kept regions, sorted by decreasing confidence.
    """
    num = boxes.shape[0]
    max_conf = boxes.new_zeros(num)
    if num == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    boxes = boxes.float()
    for c in range(cls_probs.shape[1]):
        scores = cls_probs[:, c].float().contiguous()
        _, keep = nms(boxes, scores, nms_thr)
        max_conf[keep] = torch.maximum(max_conf[keep], scores[keep])
    order = torch.argsort(max_conf, descending=True, stable=True)
    num_keep = int((max_conf >= conf_thr).sum())
    num_keep = max(min(num_keep, max_boxes), min(min_boxes, num))
    return order[:num_keep]


@MODELS.register_module()
class AttributeRoIHead(StandardRoIHead):
    """mmdet's ``StandardRoIHead`` with an :class:`AttributeBBoxHead`.

    - ``loss``: the box losses plus ``loss_attr`` on the positive RoIs, the class embedding
      taking each positive RoI's ground-truth class (BUTD trains with the true labels).
    - ``predict``: detections also carry ``attr_scores`` (N x (num_attributes + 1) softmax
      probabilities, index 0 = "no attribute") computed on the final boxes with their
      predicted classes.
    - ``extract_regions``: BUTD feature extraction (see :func:`select_butd_regions`).
    """

    def _bbox_forward(self, x: Tuple[Tensor], rois: Tensor) -> dict:
        bbox_feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(bbox_feats)
        fc7 = self.bbox_head.forward_shared(bbox_feats)
        cls_score, bbox_pred = self.bbox_head.forward_predictors(fc7)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats, fc7=fc7)

    def loss(self, x: Tuple[Tensor], rpn_results_list: List[InstanceData],
             batch_data_samples: list) -> dict:
        """Box (and mask) losses of mmdet's head plus ``loss_attr``."""
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(
            batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(
                    assign_result,
                    rpn_results,
                    batch_gt_instances[i],
                    feats=[lvl_feat[i][None] for lvl_feat in x]))
        bbox_results = self.bbox_loss(x, sampling_results)
        losses = dict(bbox_results['loss_bbox'])
        losses['loss_attr'] = self.attribute_loss(bbox_results['fc7'], sampling_results,
                                                  batch_gt_instances)
        if self.with_mask:
            mask_results = self.mask_loss(x, sampling_results, bbox_results['bbox_feats'],
                                          batch_gt_instances)
            losses.update(mask_results['loss_mask'])
        return losses

    def attribute_loss(self, fc7: Tensor, sampling_results: list,
                       batch_gt_instances: List[InstanceData]) -> Tensor:
        """Attribute loss of the positive RoIs (rows ``[start, start + num_pos)`` of each
        image's block in ``fc7``, the order ``bbox2roi`` gives to mmdet's samples)."""
        pos_rows, labels, attrs = [], [], []
        start = 0
        for res, gt in zip(sampling_results, batch_gt_instances):
            num_pos = len(res.pos_inds)
            pos_rows.append(torch.arange(start, start + num_pos, device=fc7.device))
            labels.append(res.pos_gt_labels)
            if 'attr_labels' not in gt:
                raise KeyError('AttributeRoIHead needs gt_instances.attr_labels; add '
                               'LoadAttributeLabels and PackRegionDetInputs to the pipeline')
            attrs.append(gt.attr_labels[res.pos_assigned_gt_inds].long())
            start += len(res.priors)
        logits = self.bbox_head.forward_attributes(fc7[torch.cat(pos_rows)],
                                                   torch.cat(labels).long())
        return self.bbox_head.loss_attributes(logits, torch.cat(attrs))

    def _attribute_scores(self, x: Tuple[Tensor], boxes: List[Tensor],
                          labels: List[Tensor]) -> List[Tensor]:
        rois = bbox2roi(boxes)
        num_attr = self.bbox_head.num_attributes + 1
        if rois.shape[0] == 0:
            return [rois.new_zeros((0, num_attr)) for _ in boxes]
        feats = self.bbox_roi_extractor(x[:self.bbox_roi_extractor.num_inputs], rois)
        if self.with_shared_head:
            feats = self.shared_head(feats)
        fc7 = self.bbox_head.forward_shared(feats)
        probs = self.bbox_head.forward_attributes(fc7, torch.cat(labels).long()).softmax(-1)
        return list(probs.split([len(b) for b in boxes]))

    def predict_bbox(self, x, batch_img_metas, rpn_results_list, rcnn_test_cfg,
                     rescale: bool = False) -> List[InstanceData]:
        """mmdet's detections (boxes, scores, labels) plus ``attr_scores``."""
        results = super().predict_bbox(
            x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale=False)
        attr_scores = self._attribute_scores(x, [r.bboxes for r in results],
                                             [r.labels for r in results])
        for res, scores, meta in zip(results, attr_scores, batch_img_metas):
            res.attr_scores = scores
            if rescale and len(res) and 'scale_factor' in meta:
                res.bboxes = scale_boxes(res.bboxes, [1 / s for s in meta['scale_factor']])
        return results

    def extract_regions(self, x: Tuple[Tensor], proposals: List[Tensor],
                        **select_cfg) -> List[dict]:
        """Regions and features in the bottom-up-attention way.

        The regions are the RPN proposals themselves (BUTD keeps the proposal boxes, not
        class-regressed ones); :func:`select_butd_regions` keeps 10-100 of them; each gets
        its fc7 feature, object class (argmax over foreground classes) and attributes (the
        branch run on that class).

        Args:
            x (tuple[Tensor]): Multi-level features of the batch.
            proposals (list[Tensor]): R_i x 4 proposals per image (input-image coordinates).
            **select_cfg: Arguments of :func:`select_butd_regions`.

        Returns:
            list[dict]: Per image: ``boxes`` (K x 4), ``features`` (K x C fc7),
            ``cls_probs`` (K x (num_classes + 1), background last), ``objects`` (K),
            ``objects_conf`` (K), ``attr_probs`` (K x (num_attributes + 1)).
        """
        rois = bbox2roi(proposals)
        results = self._bbox_forward(x, rois)
        probs = results['cls_score'].softmax(-1)
        sizes = [len(p) for p in proposals]
        outputs = []
        for boxes, fc7, prob in zip(proposals, results['fc7'].split(sizes),
                                    probs.split(sizes)):
            keep = select_butd_regions(boxes, prob[:, :-1], **select_cfg)
            conf, objects = prob[keep, :-1].max(dim=1)
            attr = self.bbox_head.forward_attributes(fc7[keep], objects).softmax(-1)
            outputs.append(
                dict(boxes=boxes[keep], features=fc7[keep], cls_probs=prob[keep],
                     objects=objects, objects_conf=conf, attr_probs=attr))
        return outputs
