# Copyright (c) mmvl contributors. All rights reserved.
"""Box head with the bottom-up-attention attribute branch.

"Learning Rich Image Region Representation for Visual Question Answering" (arXiv 1910.13077,
§2) trains its region detectors as bottom-up attention does (Anderson et al., CVPR 2018,
§3.1): Faster R-CNN on Visual Genome with an extra attribute classifier. For each region the
class embedding of its object label is concatenated with the region's pooled (fc7) feature,
passed through a hidden layer with ReLU, and classified over the attributes plus a
"no attribute" class (401 ways for BUTD's 400 attributes).
"""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class AttributeBBoxHead(Shared2FCBBoxHead):
    """mmdet's shared-2fc box head plus the BUTD attribute branch.

    Attribute classes are indexed from 1 in the branch's output: index 0 is "no attribute",
    index ``a + 1`` is the dataset's attribute ``a``.

    Loss (on positive RoIs only; the RoI head selects them). A RoI whose object has the
    attributes ``a_1..a_k`` adds ``(1 / k) * sum_j CE(logits, a_j + 1)``; with ``k = 0`` its
    target is "no attribute" (``no_attribute_target=True``, BUTD's 401-way form) or it is
    left out (``False``). The sum is divided by the number of RoIs that have a target and
    multiplied by ``loss_attr_weight`` (0.5 in BUTD).

    Args:
        num_attributes (int): Attribute classes, without "no attribute" (400 for BUTD).
        cls_embed_dim (int): Size of the object class embedding. Defaults to 256.
        attr_hidden_channels (int): Hidden layer of the branch. Defaults to 512.
        loss_attr_weight (float): Weight of the attribute loss. Defaults to 0.5.
        no_attribute_target (bool): Train objects without attributes towards
            "no attribute". Defaults to True.
        **kwargs: :class:`mmdet.models.Shared2FCBBoxHead` arguments.
    """

    def __init__(self,
                 num_attributes: int,
                 cls_embed_dim: int = 256,
                 attr_hidden_channels: int = 512,
                 loss_attr_weight: float = 0.5,
                 no_attribute_target: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_attributes = num_attributes
        self.loss_attr_weight = loss_attr_weight
        self.no_attribute_target = no_attribute_target
        # one embedding per object class plus the background class (index num_classes)
        self.cls_embed = nn.Embedding(self.num_classes + 1, cls_embed_dim)
        self.attr_fc = nn.Linear(self.shared_out_channels + cls_embed_dim, attr_hidden_channels)
        self.fc_attr = nn.Linear(attr_hidden_channels, num_attributes + 1)
        nn.init.normal_(self.fc_attr.weight, std=0.01)
        nn.init.zeros_(self.fc_attr.bias)

    def forward_shared(self, x: Tensor) -> Tensor:
        """RoI features (N x C x h x w) -> fc7 features (N x ``fc_out_channels``)."""
        for conv in self.shared_convs:
            x = conv(x)
        if self.with_avg_pool:
            x = self.avg_pool(x)
        x = x.flatten(1)
        for fc in self.shared_fcs:
            x = self.relu(fc(x))
        return x

    def forward_predictors(self, fc7: Tensor) -> Tuple[Tensor, Tensor]:
        """fc7 features -> (class scores, box deltas) of the shared-2fc head (no branch
        convs/fcs)."""
        cls_score = self.fc_cls(fc7) if self.with_cls else None
        bbox_pred = self.fc_reg(fc7) if self.with_reg else None
        return cls_score, bbox_pred

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """As mmdet's head: RoI features -> (class scores, box deltas)."""
        return self.forward_predictors(self.forward_shared(x))

    def forward_attributes(self, fc7: Tensor, labels: Tensor) -> Tensor:
        """Attribute logits (N x (num_attributes + 1)) of regions with object ``labels``
        (N, 0-based; ``num_classes`` is background): [fc7, embed(label)] -> fc -> ReLU -> fc."""
        feats = torch.cat([fc7, self.cls_embed(labels)], dim=1)
        return self.fc_attr(F.relu(self.attr_fc(feats)))

    def attribute_targets(self, attr_labels: Tensor) -> Tensor:
        """Dataset attribute labels (N x M, 0-based, -1 padded) -> branch targets (N x M,
        1-based, -1 = none; a row without attributes becomes [0, -1, ...] when
        ``no_attribute_target``)."""
        targets = torch.where(attr_labels >= 0, attr_labels + 1, attr_labels)
        if self.no_attribute_target and targets.numel():
            empty = (targets < 0).all(dim=1)
            targets[empty, 0] = 0
        return targets

    def loss_attributes(self, attr_logits: Tensor, attr_labels: Tensor) -> Tensor:
        """The attribute loss (see the class docstring).

        Args:
            attr_logits (Tensor): N x (num_attributes + 1) logits of positive RoIs.
            attr_labels (Tensor): N x M dataset attribute labels (0-based, -1 padded).

        Returns:
            Tensor: The weighted scalar loss (0 with a gradient path when no RoI has a target).
        """
        targets = self.attribute_targets(attr_labels)
        valid = targets >= 0
        counts = valid.sum(dim=1)
        if attr_logits.shape[0] == 0 or not (counts > 0).any():
            return attr_logits.sum() * 0.
        num, slots = targets.shape
        logits = attr_logits[:, None, :].expand(num, slots, -1).reshape(num * slots, -1)
        ce = F.cross_entropy(logits, targets.reshape(-1).clamp(min=0), reduction='none')
        ce = ce.view(num, slots) * valid / counts.clamp(min=1)[:, None]
        return self.loss_attr_weight * ce.sum() / (counts > 0).sum()
