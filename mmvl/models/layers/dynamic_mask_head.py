# Copyright (c) mmvl contributors. All rights reserved.
"""Query-conditioned dynamic mask head (CondInst-style) for DETR-like instance segmenters.

The head of UNINEXT ("Universal Instance Perception as Object Discovery and Retrieval",
Yan et al., CVPR 2023), which SWORD ("Exploring Transformers for Open-world Instance
Segmentation", Wu et al., ICCV 2023) shares: every decoder query predicts the parameters of
a small fully convolutional network (``num_layers`` 1x1 convs of ``channels`` channels), which
is run over a shared pixel embedding (``channels`` channels at stride 8, fused top-down from
the encoder memory) concatenated with the pixel's coordinates relative to the query's
reference point. The mask logits at stride 8 are upsampled x2 with ``aligned_bilinear``, so
masks come out at stride 4.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.layers.transformer.utils import MLP
from mmdet.models.utils.misc import aligned_bilinear
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvl.registry import MODELS


FUSION_STYLES = ('uninext', 'lateral')


class MaskFeatureFusion(BaseModule):
    """Top-down fusion of encoder feature maps into the pixel embedding of the mask head.

    ``style='uninext'`` is UNINEXT's ``MaskHeadSmallConv`` (official code, ``ddetrs_dn.py``):
    from the coarsest level down, add the nearest-upsampled result to the level and apply a
    3x3 conv and ReLU (``top_down_convs``); then a 3x3 conv to ``mid_channels`` and a 3x3
    conv to ``out_channels``, each with ReLU (``out_convs``). No normalisation.

    ``style='lateral'`` is mmvl's first reading of it, which SWORD's shipped configs and
    toy-world numbers use: a 3x3 conv on every level before the sum, then a 3x3 conv and two
    1x1 projections, the last without ReLU.

    Args:
        in_channels (int): Channels of every input level (the transformer's width).
        num_levels (int): How many of the finest levels are fused (3: strides 8, 16, 32).
        mid_channels (int): Channels of the projection before the last one. Defaults to 64.
        out_channels (int): Channels of the pixel embedding. Defaults to 8.
        style (str): ``'uninext'`` or ``'lateral'``. Defaults to ``'uninext'``.
    """

    def __init__(self, in_channels: int, num_levels: int = 3, mid_channels: int = 64,
                 out_channels: int = 8, style: str = 'uninext') -> None:
        super().__init__()
        if style not in FUSION_STYLES:
            raise ValueError(f'style must be one of {FUSION_STYLES}, got {style!r}')
        self.num_levels = num_levels
        self.style = style
        convs = nn.ModuleList([
            nn.Conv2d(in_channels, in_channels, 3, padding=1) for _ in range(num_levels)])
        if style == 'uninext':
            self.top_down_convs = convs  # index 0 is the finest level
            self.out_convs = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(mid_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True))
        else:
            self.lateral_convs = convs
            self.out_convs = nn.Sequential(
                ConvModule(in_channels, in_channels, 3, padding=1, act_cfg=dict(type='ReLU')),
                ConvModule(in_channels, mid_channels, 1, act_cfg=dict(type='ReLU')),
                nn.Conv2d(mid_channels, out_channels, 1))

    def init_weights(self) -> None:
        """The authors' init for their structure: Kaiming-uniform (a=1) convs, zero biases."""
        super().init_weights()
        if self.style == 'uninext':
            for module in self.modules():
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_uniform_(module.weight, a=1)
                    nn.init.zeros_(module.bias)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Fuse ``feats`` (finest first, each (B, C, H_l, W_l)) into (B, out, H_0, W_0)."""
        if len(feats) < self.num_levels:
            raise ValueError(f'MaskFeatureFusion needs {self.num_levels} levels, '
                             f'got {len(feats)}')
        top = self.num_levels - 1
        if self.style == 'uninext':
            fused = F.relu(self.top_down_convs[top](feats[top]))
            for level in range(top - 1, -1, -1):
                fused = feats[level] + F.interpolate(
                    fused, size=feats[level].shape[-2:], mode='nearest')
                fused = F.relu(self.top_down_convs[level](fused))
            return self.out_convs(fused)
        fused = self.lateral_convs[top](feats[top])
        for level in range(top - 1, -1, -1):
            lateral = self.lateral_convs[level](feats[level])
            fused = lateral + F.interpolate(fused, size=lateral.shape[-2:], mode='nearest')
        return self.out_convs(fused)


@MODELS.register_module()
class DynamicMaskHead(BaseModule):
    """Dynamic mask kernels from queries over a shared pixel embedding.

    Args:
        embed_dims (int): Width of the decoder queries and of the encoder memory.
        num_pred_layer (int): Number of decoder layers; one kernel controller per layer.
        num_fused_levels (int): Encoder levels fused into the pixel embedding. Defaults to 3.
        channels (int): Channels of the pixel embedding and of the dynamic convs. Defaults
            to 8.
        num_layers (int): Dynamic 1x1 conv layers. Defaults to 3 (169 parameters per
            query with 8 channels).
        feat_stride (int): Stride of the finest fused level. Defaults to 8.
        out_stride (int): Stride of the output mask logits (``feat_stride`` divided by a
            power of two). Defaults to 4.
        rel_coord_scale (float): The relative coordinates (pixel minus reference point,
            in input pixels) are divided by this. UNINEXT's released weights expect
            absolute pixels (1.0); mmdet's CondInst normalises them. Defaults to 1.0.
        fusion_style (str): Structure of the pixel-embedding fusion, see
            :class:`MaskFeatureFusion`. Defaults to ``'uninext'``.
        share_controller (bool): One kernel controller for every decoder layer, as in
            UNINEXT's code, instead of one per layer. Defaults to False.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_pred_layer: int = 6,
                 num_fused_levels: int = 3,
                 channels: int = 8,
                 num_layers: int = 3,
                 feat_stride: int = 8,
                 out_stride: int = 4,
                 rel_coord_scale: float = 1.0,
                 fusion_style: str = 'uninext',
                 share_controller: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if feat_stride % out_stride or (feat_stride // out_stride) & (
                feat_stride // out_stride - 1):
            raise ValueError(f'out_stride {out_stride} must divide feat_stride {feat_stride} '
                             f'by a power of two')
        self.channels = channels
        self.num_layers = num_layers
        self.feat_stride = feat_stride
        self.out_stride = out_stride
        self.rel_coord_scale = rel_coord_scale
        self.weight_nums, self.bias_nums = self._param_layout(channels, num_layers)
        self.num_params = sum(self.weight_nums) + sum(self.bias_nums)
        self.feature_fusion = MaskFeatureFusion(
            embed_dims, num_fused_levels, out_channels=channels, style=fusion_style)
        self.share_controller = share_controller
        self.controllers = nn.ModuleList([
            MLP(embed_dims, embed_dims, self.num_params, 3)
            for _ in range(1 if share_controller else num_pred_layer)])

    @staticmethod
    def _param_layout(channels: int, num_layers: int) -> Tuple[List[int], List[int]]:
        """Weight and bias counts per dynamic layer; input = channels + 2 coordinates."""
        weight_nums, bias_nums = [], []
        for layer in range(num_layers):
            c_in = channels + 2 if layer == 0 else channels
            c_out = 1 if layer == num_layers - 1 else channels
            weight_nums.append(c_in * c_out)
            bias_nums.append(c_out)
        return weight_nums, bias_nums

    def init_weights(self) -> None:
        super().init_weights()
        for controller in self.controllers:
            # the shared controller is the authors' (every layer Xavier, zero biases); the
            # per-layer ones keep mmvl's first init (the last layer only)
            layers = controller.layers if self.share_controller else controller.layers[-1:]
            for layer in layers:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def pixel_embedding(self, feats: Sequence[Tensor]) -> Tensor:
        """The shared (B, channels, H/feat_stride, W/feat_stride) pixel embedding."""
        return self.feature_fusion(feats)

    def kernels(self, queries: Tensor, layer_id: int) -> Tensor:
        """Dynamic-conv parameters (..., num_params) of ``queries`` (..., C)."""
        return self.controllers[0 if self.share_controller else layer_id](queries)

    def forward(self, pixel_embed: Tensor, kernels: Tensor, centers: Tensor) -> Tensor:
        """Mask logits of the queries of one image.

        Args:
            pixel_embed (Tensor): (channels, H, W) pixel embedding at ``feat_stride``.
            kernels (Tensor): (N, num_params) parameters of N queries.
            centers (Tensor): (N, 2) reference points (x, y) in input pixels.

        Returns:
            Tensor: (N, H * s, W * s) mask logits at ``out_stride`` (s = feat/out stride).
        """
        num_queries = kernels.size(0)
        h, w = pixel_embed.shape[-2:]
        factor = self.feat_stride // self.out_stride
        if num_queries == 0:  # a grouped conv cannot have zero groups
            return pixel_embed.new_zeros((0, h * factor, w * factor))
        shifts_x = (torch.arange(w, device=pixel_embed.device) * self.feat_stride +
                    self.feat_stride // 2).to(pixel_embed.dtype)
        shifts_y = (torch.arange(h, device=pixel_embed.device) * self.feat_stride +
                    self.feat_stride // 2).to(pixel_embed.dtype)
        grid_y, grid_x = torch.meshgrid(shifts_y, shifts_x, indexing='ij')
        locations = torch.stack([grid_x, grid_y], dim=0).view(1, 2, h, w)
        rel = (locations - centers.to(pixel_embed.dtype).view(num_queries, 2, 1, 1))
        rel = rel / self.rel_coord_scale
        x = torch.cat([pixel_embed[None].expand(num_queries, -1, -1, -1), rel], dim=1)
        # one grouped conv runs all queries' dynamic networks at once
        x = x.reshape(1, -1, h, w)
        weights, biases = self._split_params(kernels)
        for layer, (weight, bias) in enumerate(zip(weights, biases)):
            x = F.conv2d(x, weight, bias, groups=num_queries)
            if layer < self.num_layers - 1:
                x = F.relu(x)
        logits = x.reshape(num_queries, 1, h, w)
        if factor > 1:
            logits = aligned_bilinear(logits, factor)
        return logits[:, 0]

    def _split_params(self, kernels: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        """Grouped-conv weights and biases of every dynamic layer from flat ``kernels``."""
        num_queries = kernels.size(0)
        chunks = torch.split(kernels, self.weight_nums + self.bias_nums, dim=1)
        weight_chunks, bias_chunks = chunks[:self.num_layers], chunks[self.num_layers:]
        weights, biases = [], []
        for layer in range(self.num_layers):
            c_out = 1 if layer == self.num_layers - 1 else self.channels
            weights.append(weight_chunks[layer].reshape(num_queries * c_out, -1, 1, 1))
            biases.append(bias_chunks[layer].reshape(num_queries * c_out))
        return weights, biases
