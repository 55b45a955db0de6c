"""A backbone added from outside mmvl: registered into mmvl's MODELS on import.

The config pulls this module in with ``custom_imports``; nothing inside ``mmvl/`` changes.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmvl.registry import MODELS


@MODELS.register_module()
class ExampleConvNet(BaseModule):
    """A plain ConvNet with four stride-2 stages after a stride-2 stem (strides 4 to 32).

    Args:
        widths (Sequence[int]): Output channels of the four stages.
            Defaults to (32, 64, 128, 256).
        out_indices (Sequence[int]): Stages whose outputs are returned. Defaults to
            (0, 1, 2, 3).
        init_cfg (dict, optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 widths: Sequence[int] = (32, 64, 128, 256),
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(widths) != 4:
            raise ValueError(f'widths must hold 4 stage widths, got {widths}')
        if not set(out_indices) <= {0, 1, 2, 3}:
            raise ValueError(f'out_indices must be within 0..3, got {out_indices}')
        self.out_indices = tuple(out_indices)
        self.stem = self._conv_bn(3, widths[0] // 2, stride=2)
        in_channels = widths[0] // 2
        self.stages = nn.ModuleList()
        for width in widths:
            self.stages.append(
                nn.Sequential(
                    self._conv_bn(in_channels, width, stride=2),
                    self._conv_bn(width, width, stride=1)))
            in_channels = width

    @staticmethod
    def _conv_bn(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the feature maps of ``out_indices``, each B x C_i x H/2^(i+2) x W/2^(i+2)."""
        x = self.stem(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
