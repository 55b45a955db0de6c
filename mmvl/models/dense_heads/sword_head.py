# Copyright (c) mmvl contributors. All rights reserved.
"""The head of SWORD, "Exploring Transformers for Open-world Instance Segmentation".

Wu et al., ICCV 2023 (arXiv 2308.04206). A DINO head (mmdet's, with its encoder proposals
and contrastive denoising kept as they are) extended with the mechanisms the paper names:

1. Stop-gradient before the classification head (:class:`StopGradLinear`): the decoder's
   class branches read detached query features, so classifying unannotated (novel)
   objects as background cannot shape the features the other heads use.
2. Heuristic label assignment: with the classifier detached, the box, mask and IoU
   branches can be trained with a one-to-many assigner (``train_cfg.reg_assigner``, e.g.
   :class:`DynamicKAssigner`) while the classifier keeps one-to-one Hungarian matching
   (``cls_assignment='one2one'``; ``'shared'`` trains it on the one-to-many assignment).
3. IoU heads: box-IoU and mask-IoU branches trained on the assigned queries; the test score
   combines the class probability with the predicted IoUs (``test_cfg.score_form``).
4. Contrastive learning with a universal object queue (:class:`UniversalObjectQueue`,
   :class:`ObjectCenterContrastLoss`) on the last decoder layer's queries.

Masks come from a query-conditioned dynamic mask head (:class:`DynamicMaskHead`) over a
pixel embedding fused from the encoder memory, as in UNINEXT (the same group's code, the
closest public relative; SWORD has no released code). Every unknown is a constructor
argument; ``configs/sword/README.md`` says which value was chosen and why.
"""
from typing import Dict, List, Literal, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import DINOHead
from mmdet.models.layers.transformer.utils import MLP
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps, bbox_xyxy_to_cxcywh
from mmdet.utils import InstanceList, reduce_mean
from mmengine.model import bias_init_with_prob
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvl.registry import MODELS, TASK_UTILS
from ..losses import select_object_background
from ..utils import iou_aware_scores, select_detections

CLS_ASSIGNMENTS = ('one2one', 'shared')
IOU_TERMS = ('box', 'mask')
SCORE_FORMS = ('geometric', 'product', 'class')
CONTRAST_KEYS = ('queue_length', 'embed_dims', 'pos_iou_thr', 'neg_iou_thr', 'neg_score_thr',
                 'max_negatives', 'loss')


class StopGradLinear(nn.Linear):
    """A linear layer that does not pass gradients to its input (SWORD's stop-gradient).

    Its parameters are trained as usual; only the input is detached. A subclass rather
    than a wrapper, so that checkpoint keys stay those of a plain ``nn.Linear``.
    """

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.detach())


@MODELS.register_module()
class SWORDHead(DINOHead):
    """DINO head with SWORD's stop-gradient, IoU heads, masks and object contrast.

    Args:
        mask_head (dict): Config of the dynamic mask head.
        stop_grad_cls (bool): Detach the decoder queries before the class branches.
            Defaults to True (False gives the "without stop-gradient" ablation).
        cls_assignment (str): ``'one2one'`` trains the classifier on the Hungarian
            assignment (``train_cfg.assigner``); ``'shared'`` on the regression assignment
            (``train_cfg.reg_assigner``, as UNINEXT does). Defaults to ``'one2one'``.
        loss_mask (dict): Per-pixel mask loss. Defaults to sigmoid focal loss x2.0.
        loss_dice (dict): Dice loss. Defaults to x5.0 (UNINEXT's weights).
        loss_box_iou (dict): Loss of the box-IoU branch against the detached IoU of the
            predicted box with its assigned object. Defaults to BCE x1.0 (UNINEXT).
        loss_mask_iou (dict, optional): Loss of the mask-IoU branch (target: detached IoU of
            the binarised predicted mask with its object). None removes the branch.
        contrast (dict, optional): The object-queue contrastive learning, with exactly the
            keys ``queue_length``, ``embed_dims``, ``pos_iou_thr``, ``neg_iou_thr``,
            ``neg_score_thr``, ``max_negatives`` and ``loss`` (a loss config, e.g.
            ``ObjectCenterContrastLoss``). None removes it (the "without queue" ablation).
        mask_loss_layers (str): ``'all'`` decoder layers or only the ``'last'`` one get
            mask and mask-IoU losses. Defaults to ``'all'`` (UNINEXT).

    ``test_cfg`` keys: ``max_per_img`` (100), ``score_form`` (``'geometric'``,
    ``'product'`` or ``'class'``), ``iou_terms`` (a subset of ``('box', 'mask')``),
    ``nms`` (an mmcv ``batched_nms`` config or None), ``score_thr`` (0.0), ``mask_thr`` (0.5).
    Without ``train_cfg.reg_assigner`` every branch uses the one-to-one ``train_cfg.assigner``
    (plain Hungarian matching).
    """

    def __init__(self,
                 *args,
                 mask_head: dict = dict(type='DynamicMaskHead'),
                 stop_grad_cls: bool = True,
                 cls_assignment: Literal['one2one', 'shared'] = 'one2one',
                 loss_mask: dict = dict(
                     type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                     loss_weight=2.0),
                 loss_dice: dict = dict(
                     type='mmdet.DiceLoss', use_sigmoid=True, activate=True, naive_dice=True,
                     eps=1.0, loss_weight=5.0),
                 loss_box_iou: dict = dict(
                     type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 loss_mask_iou: Optional[dict] = dict(
                     type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 contrast: Optional[dict] = None,
                 mask_loss_layers: Literal['all', 'last'] = 'all',
                 **kwargs) -> None:
        if cls_assignment not in CLS_ASSIGNMENTS:
            raise ValueError(f'cls_assignment must be one of {CLS_ASSIGNMENTS}, '
                             f'got {cls_assignment!r}')
        if mask_loss_layers not in ('all', 'last'):
            raise ValueError(f"mask_loss_layers must be 'all' or 'last', "
                             f'got {mask_loss_layers!r}')
        self.mask_head_cfg = mask_head
        self.stop_grad_cls = stop_grad_cls
        self.cls_assignment = cls_assignment
        self.with_mask_iou = loss_mask_iou is not None
        if contrast is not None and set(contrast) != set(CONTRAST_KEYS):
            raise ValueError(f'contrast must have exactly the keys {CONTRAST_KEYS}; missing '
                             f'{sorted(set(CONTRAST_KEYS) - set(contrast))}, unknown '
                             f'{sorted(set(contrast) - set(CONTRAST_KEYS))}')
        self.contrast_cfg = dict(contrast) if contrast is not None else None
        self.mask_loss_layers = mask_loss_layers
        super().__init__(*args, **kwargs)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_box_iou = MODELS.build(loss_box_iou)
        self.loss_mask_iou = MODELS.build(loss_mask_iou) if self.with_mask_iou else None
        reg_assigner = (self.train_cfg or {}).get('reg_assigner')
        self.reg_assigner = TASK_UTILS.build(reg_assigner) if reg_assigner else None
        if cls_assignment == 'shared' and self.reg_assigner is None:
            raise ValueError("cls_assignment='shared' needs train_cfg.reg_assigner")
        self._check_test_cfg()

    def _check_test_cfg(self) -> None:
        """Fail at construction, not at the first validation, on a bad ``test_cfg``."""
        cfg = self.test_cfg or {}
        if cfg.get('score_form', 'geometric') not in SCORE_FORMS:
            raise ValueError(f'test_cfg.score_form must be one of {SCORE_FORMS}, '
                             f"got {cfg.get('score_form')!r}")
        iou_terms = tuple(cfg.get('iou_terms', IOU_TERMS))
        if set(iou_terms) - set(IOU_TERMS):
            raise ValueError(f'test_cfg.iou_terms {iou_terms}: each must be one of {IOU_TERMS}')
        if 'mask' in iou_terms and not self.with_mask_iou:
            raise ValueError("test_cfg.iou_terms has 'mask' but the mask-IoU branch is off "
                             '(loss_mask_iou=None): drop it from iou_terms')

    @property
    def num_dec_layers(self) -> int:
        return self.num_pred_layer - 1 if self.as_two_stage else self.num_pred_layer

    def _init_layers(self) -> None:
        """DINO's branches, stop-gradient class branches, IoU branches, masks, contrast."""
        super()._init_layers()
        if self.stop_grad_cls:
            if self.share_pred_layer:
                raise ValueError('stop_grad_cls needs per-layer branches (with_box_refine)')
            # only the decoder's class branches: the encoder proposal head is unchanged
            for layer_id in range(self.num_dec_layers):
                self.cls_branches[layer_id] = StopGradLinear(
                    self.embed_dims, self.cls_out_channels)
        self.box_iou_branches = nn.ModuleList(
            [nn.Linear(self.embed_dims, 1) for _ in range(self.num_dec_layers)])
        if self.with_mask_iou:
            self.mask_iou_branches = nn.ModuleList(
                [nn.Linear(self.embed_dims, 1) for _ in range(self.num_dec_layers)])
        mask_head = dict(self.mask_head_cfg)
        mask_head.update(embed_dims=self.embed_dims, num_pred_layer=self.num_dec_layers)
        self.mask_head = MODELS.build(mask_head)
        if self.contrast_cfg is not None:
            cfg = self.contrast_cfg
            self.contrast_proj = MLP(self.embed_dims, self.embed_dims, cfg['embed_dims'], 2)
            self.object_queue = MODELS.build(
                dict(type='UniversalObjectQueue', length=cfg['queue_length'],
                     embed_dims=cfg['embed_dims']))
            self.loss_contrast = MODELS.build(cfg['loss'])

    def init_weights(self) -> None:
        super().init_weights()
        iou_branches = list(self.box_iou_branches)
        if self.with_mask_iou:
            iou_branches += list(self.mask_iou_branches)
        for branch in iou_branches:  # (the class branches, StopGradLinear too, are DINO's)
            nn.init.constant_(branch.bias, bias_init_with_prob(0.01))

    # ------------------------------------------------------------------ forward
    def forward(self, hidden_states: Tensor, references: List[Tensor],
                memory: Tensor, spatial_shapes: Tensor) -> Tuple[Tensor, ...]:
        """Class logits, boxes, IoU logits and mask kernels of every decoder layer.

        Args:
            hidden_states (Tensor): (num_layers, B, Q, C) decoder outputs.
            references (list[Tensor]): Normalised (cx, cy, w, h) references, the input
                reference of layer l at index l.
            memory (Tensor): (B, sum(H_l * W_l), C) encoder output.
            spatial_shapes (Tensor): (num_levels, 2) (H_l, W_l) of the memory levels.

        Returns:
            tuple[Tensor]: class logits (L, B, Q, K), boxes (L, B, Q, 4) normalised cxcywh,
            box-IoU logits (L, B, Q), mask-IoU logits (L, B, Q) or None, mask kernels
            (L, B, Q, P) and the pixel embedding (B, c, H/8, W/8).
        """
        all_cls, all_coords = super().forward(hidden_states, references)
        return (all_cls, all_coords) + self.forward_iou_mask(hidden_states, memory, spatial_shapes)

    def forward_iou_mask(self, hidden_states: Tensor, memory: Tensor,
                         spatial_shapes: Tensor) -> Tuple[Tensor, ...]:
        """Box-IoU logits, mask-IoU logits (or None), mask kernels and pixel embedding."""
        box_ious = torch.stack([
            branch(hidden_states[i])[..., 0] for i, branch in enumerate(self.box_iou_branches)])
        mask_ious = torch.stack([
            branch(hidden_states[i])[..., 0]
            for i, branch in enumerate(self.mask_iou_branches)]) if self.with_mask_iou else None
        kernels = torch.stack([
            self.mask_head.kernels(hidden_states[i], i) for i in range(hidden_states.size(0))])
        pixel_embed = self.mask_head.pixel_embedding(self._memory_levels(memory, spatial_shapes))
        return box_ious, mask_ious, kernels, pixel_embed

    @staticmethod
    def _memory_levels(memory: Tensor, spatial_shapes: Tensor) -> List[Tensor]:
        """Split the flattened memory into (B, C, H_l, W_l) maps, finest first."""
        bs, _, c = memory.shape
        sizes = [int(h) * int(w) for h, w in spatial_shapes]
        return [
            level.transpose(1, 2).reshape(bs, c, int(h), int(w))
            for level, (h, w) in zip(memory.split(sizes, dim=1), spatial_shapes)
        ]

    # ------------------------------------------------------------------ training
    def loss(self, hidden_states: Tensor, references: List[Tensor], enc_outputs_class: Tensor,
             enc_outputs_coord: Tensor, batch_data_samples: SampleList, dn_meta: Dict[str, int],
             memory: Tensor, spatial_shapes: Tensor, **forward_kwargs) -> Dict[str, Tensor]:
        """All losses: decoder layers, encoder proposals and denoising queries.

        ``forward_kwargs`` go to :meth:`forward` (a subclass's extra inputs).
        """
        batch_gt_instances = [s.gt_instances for s in batch_data_samples]
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        outs = self(hidden_states, references, memory, spatial_shapes, **forward_kwargs)
        all_cls, all_coords, box_ious, mask_ious, kernels, pixel_embed = outs
        num_dn = dn_meta['num_denoising_queries'] if dn_meta is not None else 0
        losses = {}
        num_layers = all_cls.size(0)
        for layer_id in range(num_layers):
            is_last = layer_id == num_layers - 1
            with_masks = is_last or self.mask_loss_layers == 'all'
            layer_losses = self.loss_decoder_layer(
                cls_scores=all_cls[layer_id, :, num_dn:],
                bbox_preds=all_coords[layer_id, :, num_dn:],
                box_ious=box_ious[layer_id, :, num_dn:],
                mask_ious=mask_ious[layer_id, :, num_dn:] if mask_ious is not None else None,
                kernels=kernels[layer_id, :, num_dn:] if with_masks else None,
                centers=references[layer_id][:, num_dn:, :2],
                pixel_embed=pixel_embed,
                queries=hidden_states[layer_id, :, num_dn:] if is_last else None,
                batch_gt_instances=batch_gt_instances,
                batch_img_metas=batch_img_metas)
            if is_last and self.mask_loss_layers == 'last':
                # the other layers' mask kernels join the graph with weight 0, so that DDP
                # does not need find_unused_parameters
                layer_losses['loss_mask'] = layer_losses['loss_mask'] + kernels[:-1].sum() * 0.0
                if mask_ious is not None:
                    layer_losses['loss_mask_iou'] = (
                        layer_losses['loss_mask_iou'] + mask_ious[:-1].sum() * 0.0)
            prefix = '' if is_last else f'd{layer_id}.'
            losses.update({prefix + k: v for k, v in layer_losses.items()})

        if enc_outputs_class is not None:  # encoder proposals: Hungarian, class + box
            enc_cls, enc_bbox, enc_iou = self.loss_by_feat_single(
                enc_outputs_class, enc_outputs_coord, batch_gt_instances, batch_img_metas)
            losses.update(enc_loss_cls=enc_cls, enc_loss_bbox=enc_bbox, enc_loss_iou=enc_iou)
        if num_dn > 0:  # denoising queries: fixed correspondence, class + box
            dn_cls, dn_bbox, dn_iou = self.loss_dn(
                all_cls[:, :, :num_dn], all_coords[:, :, :num_dn],
                batch_gt_instances=batch_gt_instances, batch_img_metas=batch_img_metas,
                dn_meta=dn_meta)
            for layer_id in range(num_layers):
                prefix = '' if layer_id == num_layers - 1 else f'd{layer_id}.'
                losses[prefix + 'dn_loss_cls'] = dn_cls[layer_id]
                losses[prefix + 'dn_loss_bbox'] = dn_bbox[layer_id]
                losses[prefix + 'dn_loss_iou'] = dn_iou[layer_id]
        return losses

    def assign(self, cls_score: Tensor, bbox_pred: Tensor, gt_instances: InstanceData,
               img_meta: dict) -> Tuple[Tensor, Tensor]:
        """One-to-one and regression assignments of one image's queries.

        Returns:
            tuple[Tensor, Tensor]: ``gt_inds`` (Q,) of the one-to-one (Hungarian) assignment
            and of the regression assignment (0: background, i + 1: object i); they are the
            same without ``train_cfg.reg_assigner``, and with ``cls_assignment='shared'``
            and no contrast (which need no one-to-one assignment).
        """
        img_h, img_w = img_meta['img_shape']
        factor = bbox_pred.new_tensor([img_w, img_h, img_w, img_h])
        pred = InstanceData(scores=cls_score.detach(),
                            bboxes=bbox_cxcywh_to_xyxy(bbox_pred.detach()) * factor)
        if self.reg_assigner is None:
            one2one = self.assigner.assign(pred, gt_instances, img_meta=img_meta).gt_inds
            return one2one, one2one
        one2many = self.reg_assigner.assign(pred, gt_instances, img_meta=img_meta).gt_inds
        if self.cls_assignment == 'shared' and self.contrast_cfg is None:
            return one2many, one2many  # the one-to-one assignment would not be used
        one2one = self.assigner.assign(pred, gt_instances, img_meta=img_meta).gt_inds
        return one2one, one2many

    def loss_decoder_layer(self, cls_scores: Tensor, bbox_preds: Tensor, box_ious: Tensor,
                           mask_ious: Optional[Tensor], kernels: Optional[Tensor],
                           centers: Tensor, pixel_embed: Tensor, queries: Optional[Tensor],
                           batch_gt_instances: InstanceList,
                           batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Losses of one decoder layer's matching queries (B, Q, ...).

        ``kernels`` None skips the mask losses; ``queries`` given adds the contrastive loss.
        """
        num_imgs, num_queries = cls_scores.shape[:2]
        assignments = [
            self.assign(cls_scores[i], bbox_preds[i], batch_gt_instances[i], batch_img_metas[i])
            for i in range(num_imgs)]
        one2one_inds = [one2one for one2one, _ in assignments]
        reg_inds = [reg for _, reg in assignments]
        cls_inds = one2one_inds if self.cls_assignment == 'one2one' else reg_inds
        # classification: every query, one-to-one (or shared) targets
        num_cls_pos = self._avg_factor(sum(int((inds > 0).sum()) for inds in cls_inds),
                                       cls_scores)
        loss_cls = self.loss_cls(
            cls_scores.flatten(0, 1), self.classification_targets(cls_scores, cls_inds,
                                                                  batch_gt_instances),
            avg_factor=num_cls_pos)

        # regression, IoU and mask branches: the (one-to-many) regression assignment
        factors, pred_px, gt_px, img_ids, query_ids, gt_ids = [], [], [], [], [], []
        for i, inds in enumerate(reg_inds):
            img_h, img_w = batch_img_metas[i]['img_shape']
            factor = bbox_preds.new_tensor([img_w, img_h, img_w, img_h])
            q = (inds > 0).nonzero(as_tuple=True)[0]
            g = inds[q] - 1
            factors.append(factor.expand(q.numel(), 4))
            pred_px.append(bbox_cxcywh_to_xyxy(bbox_preds[i, q]) * factor)
            gt_px.append(batch_gt_instances[i].bboxes[g].to(bbox_preds.dtype))
            img_ids.append(torch.full_like(q, i))
            query_ids.append(q)
            gt_ids.append(g)
        factors, pred_px, gt_px = torch.cat(factors), torch.cat(pred_px), torch.cat(gt_px)
        img_ids, query_ids, gt_ids = torch.cat(img_ids), torch.cat(query_ids), torch.cat(gt_ids)
        num_reg_pos = self._avg_factor(query_ids.numel(), cls_scores)
        losses = dict(loss_cls=loss_cls)
        losses['loss_iou'] = self.loss_iou(pred_px, gt_px, avg_factor=num_reg_pos)
        losses['loss_bbox'] = self.loss_bbox(
            bbox_preds[img_ids, query_ids], bbox_xyxy_to_cxcywh(gt_px / factors),
            avg_factor=num_reg_pos)
        box_iou_target = bbox_overlaps(pred_px.detach(), gt_px, is_aligned=True)
        losses['loss_box_iou'] = self.loss_box_iou(
            box_ious[img_ids, query_ids][:, None], box_iou_target[:, None],
            avg_factor=num_reg_pos)
        if kernels is not None:
            losses.update(self.loss_masks(
                kernels, centers, mask_ious, pixel_embed, img_ids, query_ids, gt_ids,
                batch_gt_instances, batch_img_metas, num_reg_pos))
        if queries is not None and self.contrast_cfg is not None:
            losses['loss_contrast'] = self.loss_object_contrast(
                queries, cls_scores, bbox_preds, one2one_inds, reg_inds, batch_gt_instances,
                batch_img_metas)
        return losses

    def classification_targets(self, cls_scores: Tensor, cls_inds: Sequence[Tensor],
                               batch_gt_instances: InstanceList) -> Tensor:
        """(B * Q,) class targets (``num_classes`` for background) of the queries."""
        num_imgs, num_queries = cls_scores.shape[:2]
        labels = cls_scores.new_full((num_imgs, num_queries), self.num_classes, dtype=torch.long)
        for i, inds in enumerate(cls_inds):
            pos = inds > 0
            labels[i, pos] = batch_gt_instances[i].labels[inds[pos] - 1]
        return labels.reshape(-1)

    @staticmethod
    def _avg_factor(count: int, like: Tensor) -> float:
        """The number of positives averaged over ranks, at least 1."""
        return torch.clamp(reduce_mean(like.new_tensor([float(count)])), min=1).item()

    def _gt_masks_at_output_stride(self, gt_instances: InstanceData, pad_shape: Sequence[int],
                                   like: Tensor) -> Tensor:
        """(G, H/s, W/s) ground-truth masks of one image, padded to the batch and sampled
        at the centres of the output stride's cells (UNINEXT's offset s // 2)."""
        stride = self.mask_head.out_stride
        masks = gt_instances.masks.to_tensor(dtype=like.dtype, device=like.device)
        padded = masks.new_zeros((masks.size(0), pad_shape[0], pad_shape[1]))
        h, w = min(masks.size(1), pad_shape[0]), min(masks.size(2), pad_shape[1])
        padded[:, :h, :w] = masks[:, :h, :w]
        return padded[:, stride // 2::stride, stride // 2::stride]

    def loss_masks(self, kernels: Tensor, centers: Tensor, mask_ious: Optional[Tensor],
                   pixel_embed: Tensor, img_ids: Tensor, query_ids: Tensor, gt_ids: Tensor,
                   batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                   num_pos: float) -> Dict[str, Tensor]:
        """Focal + Dice mask losses and the mask-IoU loss of the assigned queries."""
        pred_masks, gt_masks = [], []
        for i, meta in enumerate(batch_img_metas):
            sel = img_ids == i
            if not sel.any():
                continue
            q = query_ids[sel]
            img_h, img_w = meta['img_shape']
            center_px = centers[i, q] * centers.new_tensor([img_w, img_h])
            logits = self.mask_head(pixel_embed[i], kernels[i, q], center_px)
            targets = self._gt_masks_at_output_stride(
                batch_gt_instances[i], meta['batch_input_shape'], logits)[gt_ids[sel]]
            hw = (min(logits.size(1), targets.size(1)), min(logits.size(2), targets.size(2)))
            pred_masks.append(logits[:, :hw[0], :hw[1]].flatten(1))
            gt_masks.append(targets[:, :hw[0], :hw[1]].flatten(1))
        if not pred_masks:  # no positive: zero losses that keep the graph
            zero = kernels.sum() * 0.0 + pixel_embed.sum() * 0.0
            losses = dict(loss_mask=zero, loss_dice=zero)
            if self.with_mask_iou:
                losses['loss_mask_iou'] = zero + mask_ious.sum() * 0.0
            return losses
        pred, gt = torch.cat(pred_masks), torch.cat(gt_masks)
        num_pixels = pred.size(1)
        losses = dict(
            loss_mask=self.loss_mask(
                pred.reshape(-1, 1), (1 - gt).long().reshape(-1),
                avg_factor=num_pos * num_pixels),
            loss_dice=self.loss_dice(pred, gt, avg_factor=num_pos))
        if self.with_mask_iou:
            with torch.no_grad():
                binary = (pred.sigmoid() > 0.5).to(gt.dtype)
                inter = (binary * gt).sum(1)
                union = binary.sum(1) + gt.sum(1) - inter
                target = inter / union.clamp(min=1.0)
            losses['loss_mask_iou'] = self.loss_mask_iou(
                mask_ious[img_ids, query_ids][:, None], target[:, None], avg_factor=num_pos)
        return losses

    def loss_object_contrast(self, queries: Tensor, cls_scores: Tensor, bbox_preds: Tensor,
                             one2one_inds: Sequence[Tensor], reg_inds: Sequence[Tensor],
                             batch_gt_instances: InstanceList,
                             batch_img_metas: List[dict]) -> Tensor:
        """Object-centre contrastive loss of the last layer, then the queue update.

        The centre comes from the queue before this batch is pushed (the current batch's
        matched queries when the queue is still empty); the queue then receives the
        embeddings of the queries matched one-to-one to ground-truth objects.
        """
        cfg = self.contrast_cfg
        embeds = self.contrast_proj(queries)  # (B, Q, D)
        objectness = cls_scores.detach().sigmoid().max(-1)[0]
        selections, matched = [], []
        for i, meta in enumerate(batch_img_metas):
            gt_boxes = batch_gt_instances[i].bboxes
            if gt_boxes.numel():
                img_h, img_w = meta['img_shape']
                factor = bbox_preds.new_tensor([img_w, img_h, img_w, img_h])
                boxes = bbox_cxcywh_to_xyxy(bbox_preds[i].detach()) * factor
                max_ious = bbox_overlaps(boxes, gt_boxes.to(boxes.dtype)).max(1)[0]
            else:
                max_ious = objectness.new_zeros(objectness.size(1))
            selections.append(select_object_background(
                max_ious, reg_inds[i] > 0, objectness[i], pos_iou_thr=cfg['pos_iou_thr'],
                neg_iou_thr=cfg['neg_iou_thr'], neg_score_thr=cfg['neg_score_thr'],
                max_negatives=cfg['max_negatives']))
            matched.append(embeds[i, one2one_inds[i] > 0])
        matched = torch.cat(matched)
        if not self.object_queue.is_empty:
            center = self.object_queue.center()
        elif matched.numel():
            center = F.normalize(F.normalize(matched.detach(), dim=-1).mean(0), dim=0)
        else:
            center = None
        losses = [
            self.loss_contrast(embeds[i, pos], embeds[i, neg], center)
            for i, (pos, neg) in enumerate(selections) if center is not None and pos.any()
        ]
        if self.training:
            self.object_queue.enqueue(matched)
        if not losses:
            return embeds.sum() * 0.0
        return torch.stack(losses).mean()

    # ------------------------------------------------------------------ inference
    def predict(self, hidden_states: Tensor, references: List[Tensor], memory: Tensor,
                spatial_shapes: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> InstanceList:
        """Class-agnostic (or class-aware) instances with boxes, masks and scores."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        all_cls, all_coords, box_ious, mask_ious, kernels, pixel_embed = self(
            hidden_states, references, memory, spatial_shapes)
        last = all_cls.size(0) - 1
        return [
            self._predict_single(
                all_cls[last, i], all_coords[last, i], box_ious[last, i],
                mask_ious[last, i] if mask_ious is not None else None, kernels[last, i],
                references[last][i, :, :2], pixel_embed[i], meta, rescale)
            for i, meta in enumerate(batch_img_metas)
        ]

    def _predict_single(self, cls_score: Tensor, bbox_pred: Tensor, box_iou: Tensor,
                        mask_iou: Optional[Tensor], kernels: Tensor, centers: Tensor,
                        pixel_embed: Tensor, img_meta: dict, rescale: bool,
                        max_per_img: Optional[int] = None) -> InstanceData:
        """Detections of one image from (Q, K) class logits and the other outputs."""
        cfg = self.test_cfg
        iou_terms = cfg.get('iou_terms', IOU_TERMS)
        ious = {'box': box_iou, 'mask': mask_iou}
        scores = iou_aware_scores(
            cls_score.sigmoid(), [ious[t].sigmoid() for t in iou_terms],
            form=cfg.get('score_form', 'geometric'))
        img_h, img_w = img_meta['img_shape']
        factor = bbox_pred.new_tensor([img_w, img_h, img_w, img_h])
        boxes = bbox_cxcywh_to_xyxy(bbox_pred) * factor
        boxes[:, 0::2].clamp_(min=0, max=img_w)
        boxes[:, 1::2].clamp_(min=0, max=img_h)
        scores, labels, keep = select_detections(
            scores, boxes, max_per_img=max_per_img or cfg.get('max_per_img', 100),
            nms_cfg=cfg.get('nms'),
            score_thr=cfg.get('score_thr', 0.0))
        logits = self.mask_head(pixel_embed, kernels[keep], centers[keep] * factor[:2])
        boxes = boxes[keep]
        if rescale:
            boxes = boxes / boxes.new_tensor(img_meta['scale_factor']).repeat(2)
        results = InstanceData()
        results.bboxes = boxes
        results.scores = scores
        results.labels = labels
        results.masks = self._masks_in_image(logits, img_meta, rescale) > cfg.get('mask_thr', 0.5)
        return results

    def _masks_in_image(self, logits: Tensor, img_meta: dict, rescale: bool) -> Tensor:
        """Mask probabilities (K, H, W) of the input image (or the original with rescale)
        from logits (K, h, w) at the output stride of the padded batch."""
        img_h, img_w = img_meta['img_shape']
        out_h, out_w = img_meta['ori_shape'] if rescale else (img_h, img_w)
        if logits.size(0) == 0:
            return logits.new_zeros((0, out_h, out_w))
        stride = self.mask_head.out_stride
        pad_h, pad_w = img_meta['batch_input_shape']
        logits = F.interpolate(
            logits[None], size=(logits.size(1) * stride, logits.size(2) * stride),
            mode='bilinear', align_corners=False)[..., :pad_h, :pad_w][..., :img_h, :img_w]
        if rescale:
            logits = F.interpolate(logits, size=(out_h, out_w), mode='bilinear',
                                   align_corners=False)
        return logits[0].sigmoid()
