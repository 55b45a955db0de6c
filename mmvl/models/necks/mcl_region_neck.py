# Copyright (c) mmvl contributors. All rights reserved.
"""MCL's region neck: one embedding per fixed-size cell of an FPN map.

"Multi-Level Contrastive Learning for Dense Prediction Task", Guo et al., arXiv 2304.02010,
Sec. 3; the authors' ``DetConvGpNonLinearHead`` (github.com/GuoQiushan/MCL@1912aa9,
``openselfsup/models/necks.py``), re-implemented.
"""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS


@MODELS.register_module()
class MCLRegionNeck(BaseModule):
    """Cut each feature map into cells, convolve each cell alone, pool, project.

    For every map (N x C x H x W, H and W multiples of ``cell_size`` k):

    1. the map is cut into (H / k) x (W / k) non-overlapping k x k cells, row-major, and the
       cells become a batch of N * H * W / k^2 small maps: each cell is convolved on its own,
       with zero padding at its border (the authors reshape before their convs, so no 3 x 3
       conv reads a neighbouring cell);
    2. ``num_convs`` 3x3 conv (C -> C) + norm + ReLU, the convs that MCL later transfers into
       the detector's 4conv1fc box head;
    3. a k x k average pool to a C vector;
    4. an MLP ``Linear(C, hid), BN1d, ReLU, Linear(hid, out), BN1d(affine=False)``.

    In training the BatchNorms make a cell's output depend on the other cells of the batch
    (through the batch statistics); in eval mode it depends on its own cell only.

    Args:
        in_channels (int): C. Defaults to 256.
        hid_channels (int): Hidden width of the MLP. Defaults to 2048.
        out_channels (int): Embedding width. Defaults to 256.
        cell_size (int): k, in feature pixels: the canvas size / 32 (7 at 224 px).
            Defaults to 7.
        num_convs (int): Stacked 3x3 convs. Defaults to 4.
        norm_cfg (dict, optional): Norm of the convs. Defaults to ``dict(type='BN')``.
        mlp_norm_cfg (dict, optional): Norm of the MLP (on N x C vectors: ``BN1d``, or
            ``SyncBN`` on GPUs). Defaults to ``dict(type='BN1d')``.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to the
            authors' ``kaiming`` init of the linear layers (fan-in, ReLU) and unit BN weights;
            the convs keep ConvModule's own Kaiming init.

    Example:
        >>> import torch
        >>> neck = MCLRegionNeck(in_channels=8, hid_channels=16, out_channels=4, cell_size=2)
        >>> feats = [torch.rand(3, 8, 4, 4), torch.rand(3, 8, 2, 2)]
        >>> [tuple(out.shape) for out in neck(feats)]
        [(3, 4, 4), (3, 1, 4)]
    """

    def __init__(self,
                 in_channels: int = 256,
                 hid_channels: int = 2048,
                 out_channels: int = 256,
                 cell_size: int = 7,
                 num_convs: int = 4,
                 norm_cfg: Optional[dict] = None,
                 mlp_norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Linear', mode='fan_in', nonlinearity='relu',
                     distribution='normal'),
                dict(type='Constant', val=1, layer=['_BatchNorm'])
            ]
        super().__init__(init_cfg=init_cfg)
        norm_cfg = dict(type='BN') if norm_cfg is None else dict(norm_cfg)
        mlp_norm_cfg = dict(type='BN1d') if mlp_norm_cfg is None else dict(mlp_norm_cfg)
        self.cell_size = cell_size
        self.convs = nn.ModuleList(
            ConvModule(in_channels, in_channels, 3, padding=1, norm_cfg=norm_cfg)
            for _ in range(num_convs))
        self.pool = nn.AvgPool2d(cell_size)
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hid_channels),
            build_norm_layer(mlp_norm_cfg, hid_channels)[1],
            nn.ReLU(inplace=True),
            nn.Linear(hid_channels, out_channels),
            build_norm_layer(dict(mlp_norm_cfg, affine=False), out_channels)[1])

    def cut_cells(self, feat: Tensor) -> Tensor:
        """(N, C, H, W) -> (N * H/k * W/k, C, k, k), cells row-major within each map."""
        n, c, h, w = feat.shape
        k = self.cell_size
        if h % k or w % k:
            raise ValueError(f'a {h}x{w} feature map does not split into {k}x{k} cells '
                             '(cell_size must be the canvas size / 32)')
        cells = feat.reshape(n, c, h // k, k, w // k, k).permute(0, 2, 4, 1, 3, 5)
        return cells.reshape(-1, c, k, k)

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Embed every cell of every map.

        Args:
            feats (Sequence[Tensor]): Maps, each (N_l, C, H_l, W_l); each map is one BN batch.

        Returns:
            list[Tensor]: Per map, (N_l, H_l * W_l / k^2, out_channels).
        """
        outs = []
        for feat in feats:
            x = self.cut_cells(feat)
            for conv in self.convs:
                x = conv(x)
            x = self.mlp(self.pool(x).flatten(1))
            outs.append(x.reshape(feat.size(0), -1, x.size(-1)))
        return outs
