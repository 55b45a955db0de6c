# Copyright (c) mmvl contributors. All rights reserved.
"""The retrieval head of UNINEXT, "Universal Instance Perception as Object Discovery and
Retrieval" (Yan et al., CVPR 2023, arXiv 2303.06674), image level.

What the queries found is retrieved by the prompt: each decoder layer's class branch is a
:class:`VLAlign` that scores every query against every prompt token (a category-name
caption) or against the single pooled vector of a language expression. Training follows
the official code (spec: ``HungarianMatcherVL.forward_ota`` and ``SetCriterion``):

- decoder layers: the dynamic-k one-to-many assignment (:class:`DynamicKAssigner`) for
  every branch, with the class cost averaged over each object's positive tokens;
- encoder proposals: Hungarian matching and a binary objectness classifier;
- denoising queries: their fixed ground truth;
- token-level sigmoid focal loss, L1, GIoU, mask focal + Dice, and the IoU branch's BCE
  against the detached IoU of its box, every term divided by the number of matched queries.

At test time a category's score is the mean of its tokens' logits, the score is
``sqrt(class x IoU)``, a class-aware NMS (0.7) removes the duplicates of the one-to-many
training, and the top 100 (detection) or top 1 (grounding) are kept. The box, IoU and mask
branches, the training loop over layers and the test-time selection are those of
:class:`SWORDHead` (same group, same design), configured without SWORD's stop-gradient and
object queue.
"""
from typing import Dict, List, Sequence, Tuple

import torch
from mmdet.models.layers import inverse_sigmoid
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmdet.utils import InstanceList
from torch import Tensor

from mmvl.registry import MODELS
from ..layers import VLAlign
from .sword_head import SWORDHead


def dn_positive_indices(num_gts: int, dn_meta: Dict[str, int],
                        device=None) -> Tuple[Tensor, Tensor]:
    """Positive denoising queries of one image and the object each one denoises.

    mmdet's ``CdnQueryGenerator`` lays out ``num_denoising_groups`` groups of
    ``2 * max_num_target`` queries: in each group the first ``num_gts`` slots are the
    positive (slightly noised) copies of the objects, in order.

    Returns:
        tuple[Tensor, Tensor]: query indices and object indices, both (num_groups * num_gts,).
    """
    num_groups = dn_meta['num_denoising_groups']
    per_group = dn_meta['num_denoising_queries'] // num_groups
    gt_inds = torch.arange(num_gts, device=device).repeat(num_groups)
    group_start = torch.arange(num_groups, device=device).repeat_interleave(num_gts) * per_group
    return group_start + gt_inds, gt_inds


@MODELS.register_module()
class UNINEXTHead(SWORDHead):
    """DINO head whose class branches retrieve by prompt, with IoU and mask branches.

    Args:
        text_dims (int): Width of the prompt features. Defaults to 768 (BERT-base).
        **kwargs: Those of :class:`SWORDHead`. ``num_classes`` must be 1 (the encoder
            proposals' objectness). ``stop_grad_cls`` and ``contrast`` are SWORD's and off;
            ``cls_assignment`` is ``'shared'`` (UNINEXT trains every branch on the
            one-to-many assignment).

    ``test_cfg`` adds ``max_per_img_<task>`` (e.g. ``max_per_img_grounding=1``: REC and RES
    keep their top 1) to :class:`SWORDHead`'s keys; a task without one keeps ``max_per_img``.
    """

    def __init__(self, *args, text_dims: int = 768, **kwargs) -> None:
        self.text_dims = text_dims
        kwargs.setdefault('stop_grad_cls', False)
        kwargs.setdefault('cls_assignment', 'shared')
        kwargs.setdefault('loss_mask_iou', None)
        super().__init__(*args, **kwargs)

    def _init_layers(self) -> None:
        """SWORD's branches, with VL alignment as every decoder layer's class branch."""
        super()._init_layers()
        for layer_id in range(self.num_dec_layers):
            self.cls_branches[layer_id] = VLAlign(self.embed_dims, self.text_dims)

    # ------------------------------------------------------------------ forward
    def forward(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor,
                spatial_shapes: Tensor, memory_text: Tensor, text_mask: Tensor,
                entity_maps=None) -> Tuple[Tensor, ...]:
        """Token logits, boxes, IoU logits and mask kernels of every decoder layer.

        Args:
            hidden_states (Tensor): (num_layers, B, Q, C) decoder outputs.
            references (list[Tensor]): Normalised (cx, cy, w, h) references, the input
                reference of layer l at index l.
            memory (Tensor): (B, sum(H_l * W_l), C) encoder output.
            spatial_shapes (Tensor): (num_levels, 2) sizes of the memory levels.
            memory_text (Tensor): (B, L, D) retrieval prompts (fused caption tokens, or a
                pooled expression in slot 0).
            text_mask (Tensor): (B, L) True for the prompt slots to score.
            entity_maps: Unused here (the detector passes them for :meth:`predict`).

        Returns:
            tuple[Tensor]: token logits (L, B, Q, T), boxes (L, B, Q, 4), box-IoU logits,
            mask-IoU logits or None, mask kernels and the pixel embedding, as
            :meth:`SWORDHead.forward`.
        """
        all_cls, all_coords = [], []
        for layer_id, hidden_state in enumerate(hidden_states):
            reference = inverse_sigmoid(references[layer_id])
            coords = self.reg_branches[layer_id](hidden_state)
            if reference.size(-1) == 4:
                coords = coords + reference
            else:
                coords[..., :2] = coords[..., :2] + reference
            all_cls.append(self.cls_branches[layer_id](hidden_state, memory_text, text_mask))
            all_coords.append(coords.sigmoid())
        return (torch.stack(all_cls), torch.stack(all_coords)) + self.forward_iou_mask(
            hidden_states, memory, spatial_shapes)

    # ------------------------------------------------------------------ training
    def loss(self, hidden_states: Tensor, references: List[Tensor], enc_outputs_class: Tensor,
             enc_outputs_coord: Tensor, batch_data_samples: SampleList, dn_meta: Dict[str, int],
             memory: Tensor, spatial_shapes: Tensor, memory_text: Tensor, text_mask: Tensor,
             entity_maps: Sequence[Tensor]) -> Dict[str, Tensor]:
        """SWORD's losses over layers, encoder and denoising, on token-level targets.

        Every object gets ``positive_maps`` (its prompt tokens, from ``entity_maps``) and
        the label 0 of the encoder's binary objectness (on copies of the data samples).
        """
        targets = []
        for sample, entity_map in zip(batch_data_samples, entity_maps):
            sample = sample.clone()
            gt_instances = sample.gt_instances.clone()
            gt_instances.positive_maps = entity_map[gt_instances.labels]
            gt_instances.labels = torch.zeros_like(gt_instances.labels)
            sample.gt_instances = gt_instances
            targets.append(sample)
        return super().loss(hidden_states, references, enc_outputs_class, enc_outputs_coord,
                            targets, dn_meta, memory, spatial_shapes, memory_text=memory_text,
                            text_mask=text_mask)

    def classification_targets(self, cls_scores: Tensor, cls_inds: Sequence[Tensor],
                               batch_gt_instances: InstanceList) -> Tensor:
        """(B * Q, T) token targets: the positive tokens of each query's object.

        Padding slots carry logits of -5e4 (:class:`VLAlign`), so their focal loss is 0
        and the loss is, as in UNINEXT, a sum over the real tokens only.
        """
        targets = torch.zeros_like(cls_scores)
        for i, inds in enumerate(cls_inds):
            pos = inds > 0
            targets[i, pos] = batch_gt_instances[i].positive_maps[inds[pos] - 1].to(
                targets.dtype)
        return targets.flatten(0, 1)

    def _loss_dn_single(self, dn_cls_scores: Tensor, dn_bbox_preds: Tensor,
                        batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                        dn_meta: Dict[str, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Denoising losses of one layer: token focal loss, L1 and GIoU.

        Positive denoising queries learn their object's tokens, negative ones nothing.
        """
        _, _, bbox_targets, bbox_weights, num_pos, _ = self.get_dn_targets(
            batch_gt_instances, batch_img_metas, dn_meta)
        cls_targets = torch.zeros_like(dn_cls_scores)
        for i, gt_instances in enumerate(batch_gt_instances):
            query_inds, gt_inds = dn_positive_indices(len(gt_instances), dn_meta,
                                                      dn_cls_scores.device)
            cls_targets[i, query_inds] = gt_instances.positive_maps[gt_inds].to(
                cls_targets.dtype)
        avg_factor = self._avg_factor(num_pos, dn_cls_scores)
        loss_cls = self.loss_cls(dn_cls_scores.flatten(0, 1), cls_targets.flatten(0, 1),
                                 avg_factor=avg_factor)

        bbox_targets, bbox_weights = torch.cat(bbox_targets), torch.cat(bbox_weights)
        factors = torch.cat([
            dn_bbox_preds.new_tensor([w, h, w, h]).expand(dn_bbox_preds.size(1), 4)
            for h, w in (meta['img_shape'] for meta in batch_img_metas)
        ])
        bbox_preds = dn_bbox_preds.reshape(-1, 4)
        loss_iou = self.loss_iou(
            bbox_cxcywh_to_xyxy(bbox_preds) * factors,
            bbox_cxcywh_to_xyxy(bbox_targets) * factors, bbox_weights, avg_factor=avg_factor)
        loss_bbox = self.loss_bbox(bbox_preds, bbox_targets, bbox_weights,
                                   avg_factor=avg_factor)
        return loss_cls, loss_bbox, loss_iou

    # ------------------------------------------------------------------ inference
    def predict(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor,
                spatial_shapes: Tensor, memory_text: Tensor, text_mask: Tensor,
                entity_maps: Sequence[Tensor], batch_data_samples: SampleList,
                rescale: bool = True) -> InstanceList:
        """Instances retrieved by each image's prompt, with boxes, masks and scores.

        Labels index the prompt's entities: the category names of a detection prompt (in
        their order), 0 for an expression.
        """
        all_cls, all_coords, box_ious, mask_ious, kernels, pixel_embed = self(
            hidden_states, references, memory, spatial_shapes, memory_text, text_mask)
        last = all_cls.size(0) - 1
        results = []
        for i, sample in enumerate(batch_data_samples):
            # per-task budget, e.g. max_per_img_grounding=1; else max_per_img
            max_per_img = self.test_cfg.get(f"max_per_img_{sample.metainfo.get('task')}")
            results.append(self._predict_single(
                self.entity_logits(all_cls[last, i], entity_maps[i]), all_coords[last, i],
                box_ious[last, i], mask_ious[last, i] if mask_ious is not None else None,
                kernels[last, i], references[last][i, :, :2], pixel_embed[i],
                sample.metainfo, rescale, max_per_img=max_per_img))
        return results

    @staticmethod
    def entity_logits(token_logits: Tensor, entity_map: Tensor) -> Tensor:
        """(Q, E) logits of the prompt's entities: the mean of each entity's token logits.

        An entity without tokens (cut off by truncation) gets the padding logit -5e4.
        """
        token_map = entity_map.to(token_logits.dtype)
        num_tokens = token_map.sum(1)
        logits = token_logits @ token_map.T / num_tokens.clamp(min=1)
        return logits.masked_fill(num_tokens[None] == 0, -5e4)
