# Copyright (c) mmvl contributors. All rights reserved.
"""Hybrid convolution + transformer video encoder (ConvMAE-style), with tube masking.

CMAE-V reports its best numbers (82.2 % K400, 71.6 % SSv2 top-1) "with a hybrid architecture"
(arXiv 2301.06018, abstract) and compares with ConvMAE ("ConvMAE: Masked Convolution Meets
Masked Autoencoders", Gao et al., NeurIPS 2022, arXiv 2205.03892, Sec. 3.1-3.3, video in
Sec. 4.4; github.com/Alpha-VL/ConvMAE). The CMAE-V paper gives no layer table, so this module
follows ConvMAE's three-stage layout extended to clips::

    clip B x 3 x T x H x W
      stage 1: Conv3d (tubelet x 4 x 4) -> C1, conv blocks      grid t x 4h x 4w
      stage 2: Conv3d (1 x 2 x 2)       -> C2, conv blocks      grid t x 2h x 2w
      stage 3: Conv3d (1 x 2 x 2)       -> C3 tokens, position embedding, visible tokens
               only, transformer layers (as :class:`VideoViT`)   grid t x h x w
      fusion:  stage-1 and stage-2 features, strided to the token grid, are added to the
               transformer outputs of the same tokens (ConvMAE's multi-scale fusion)

Masked convolution (ConvMAE Sec. 3.2): the tube mask is drawn on the token grid and upsampled
to the stage-1/2 grids; every conv block multiplies its input by the visible mask before its
depthwise convolution, and every other operation is per position (LayerNorm, 1 x 1 x 1 convs,
non-overlapping strided convs), so hidden tubelets never reach a visible token: the encoder
sees exactly what a ViT on the visible tokens would see.
"""
from typing import Optional, Sequence, Tuple

from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn

from mmvl.registry import MODELS
from .video_mae_vit import TubeMaskingMixin, VideoViT


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of a B x C x T x H x W map (per position)."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)


class MaskedConvBlock(nn.Module):
    """ConvMAE's convolution block in 3-D: a depthwise-conv token mixer and a 1x1x1 MLP.

    ``x + drop_path(proj_out(dwconv(visible * proj_in(norm1(x)))))`` then
    ``x + drop_path(mlp(norm2(x)))`` (ConvMAE ``CBlock``, with ``Conv3d``).

    Args:
        dims (int): Channels.
        kernel_size (Sequence[int]): Depthwise kernel (t, h, w), odd. Defaults to (3, 5, 5).
        mlp_ratio (float): MLP hidden width over ``dims``. Defaults to 4.
        drop_path_rate (float): Stochastic depth. Defaults to 0.
    """

    def __init__(self, dims: int, kernel_size: Sequence[int] = (3, 5, 5),
                 mlp_ratio: float = 4., drop_path_rate: float = 0.) -> None:
        super().__init__()
        if any(k % 2 == 0 for k in kernel_size):
            raise ValueError(f'kernel_size must be odd, got {tuple(kernel_size)}')
        self.norm1 = ChannelLayerNorm(dims, eps=1e-6)
        self.proj_in = nn.Conv3d(dims, dims, 1)
        self.dwconv = nn.Conv3d(dims, dims, tuple(kernel_size),
                                padding=tuple(k // 2 for k in kernel_size), groups=dims)
        self.proj_out = nn.Conv3d(dims, dims, 1)
        self.norm2 = ChannelLayerNorm(dims, eps=1e-6)
        hidden = int(dims * mlp_ratio)
        self.mlp = nn.Sequential(nn.Conv3d(dims, hidden, 1), nn.GELU(), nn.Conv3d(hidden, dims, 1))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, x: Tensor, visible: Optional[Tensor] = None) -> Tensor:
        """Apply the block.

        Args:
            x (Tensor): B x C x t x H' x W'.
            visible (Tensor, optional): B x 1 x t x H' x W', 1 at visible positions; hidden
                positions are zeroed before the depthwise convolution. Defaults to None.

        Returns:
            Tensor: B x C x t x H' x W'.
        """
        y = self.proj_in(self.norm1(x))
        if visible is not None:
            y = y * visible
        x = x + self.drop_path(self.proj_out(self.dwconv(y)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


@MODELS.register_module()
class VideoConvViT(VideoViT):
    """Hybrid encoder: two masked-convolution stages, then a :class:`VideoViT` on tokens.

    Args:
        conv_dims (Sequence[int]): Channels of stages 1 and 2. Defaults to (256, 384)
            (ConvMAE-B).
        conv_depths (Sequence[int]): Conv blocks in stages 1 and 2. Defaults to (2, 2)
            (ConvMAE-B).
        conv_kernel_size (Sequence[int]): Depthwise kernel (t, h, w). Defaults to (3, 5, 5)
            (ConvMAE's 5 x 5, with 3 frames).
        conv_strides (Sequence[int]): Spatial strides of the three stage embeddings; their
            product is ``patch_size``. Defaults to (4, 2, 2).
        fuse_stages (bool): Add the strided stage-1/2 features to the transformer outputs
            (ConvMAE's multi-scale fusion). Defaults to True.
        mlp_ratio (float): Conv-block MLP ratio. Defaults to 4.
        **kwargs: :class:`VideoViT` arguments (``arch`` is the transformer stage; ConvMAE-B:
            768-d, 11 layers).
    """

    def __init__(self,
                 conv_dims: Sequence[int] = (256, 384),
                 conv_depths: Sequence[int] = (2, 2),
                 conv_kernel_size: Sequence[int] = (3, 5, 5),
                 conv_strides: Sequence[int] = (4, 2, 2),
                 fuse_stages: bool = True,
                 mlp_ratio: float = 4.,
                 **kwargs) -> None:
        if len(conv_dims) != 2 or len(conv_depths) != 2 or len(conv_strides) != 3:
            raise ValueError('conv_dims and conv_depths need 2 entries and conv_strides 3, got '
                             f'{conv_dims}, {conv_depths}, {conv_strides}')
        patch_size = kwargs.get('patch_size', 16)
        if conv_strides[0] * conv_strides[1] * conv_strides[2] != patch_size:
            raise ValueError(f'the product of conv_strides {tuple(conv_strides)} must equal '
                             f'patch_size {patch_size}')
        self.conv_dims = tuple(conv_dims)
        self.conv_strides = tuple(conv_strides)
        self.fuse_stages = fuse_stages
        # (plain attributes may be set before nn.Module.__init__; _build_patch_embed reads them)
        super().__init__(**kwargs)
        tube = self.tubelet_size
        s1, s2, s3 = conv_strides
        in_channels = kwargs.get('in_channels', 3)
        self.stage1_embed = nn.Conv3d(in_channels, conv_dims[0], (tube, s1, s1), (tube, s1, s1))
        self.stage2_embed = nn.Conv3d(conv_dims[0], conv_dims[1], (1, s2, s2), (1, s2, s2))
        drop_path_rate = kwargs.get('drop_path_rate', 0.)
        self.stage1_blocks = nn.ModuleList(
            MaskedConvBlock(conv_dims[0], conv_kernel_size, mlp_ratio, drop_path_rate)
            for _ in range(conv_depths[0]))
        self.stage2_blocks = nn.ModuleList(
            MaskedConvBlock(conv_dims[1], conv_kernel_size, mlp_ratio, drop_path_rate)
            for _ in range(conv_depths[1]))
        if fuse_stages:
            self.stage1_fuse = nn.Conv3d(conv_dims[0], self.embed_dims, (1, s2 * s3, s2 * s3),
                                         (1, s2 * s3, s2 * s3))
            self.stage2_fuse = nn.Conv3d(conv_dims[1], self.embed_dims, (1, s3, s3), (1, s3, s3))
        if self.frozen:
            self.requires_grad_(False)

    def _build_patch_embed(self, in_channels: int) -> nn.Module:
        """Stage-3 embedding: stage-2 map -> transformer tokens."""
        s3 = self.conv_strides[2]
        return nn.Conv3d(self.conv_dims[1], self.embed_dims, (1, s3, s3), (1, s3, s3))

    @staticmethod
    def _upsample(visible: Optional[Tensor], factor: int) -> Optional[Tensor]:
        if visible is None:
            return None
        return visible.repeat_interleave(factor, dim=3).repeat_interleave(factor, dim=4)

    def embed_tokens(self, x: Tensor, token_mask: Optional[Tensor] = None
                     ) -> Tuple[Tensor, Optional[Tensor]]:
        """Masked conv stages, then stage-3 tokens and the fused multi-scale features.

        Args:
            x (Tensor): Clips B x C x T x H x W.
            token_mask (Tensor, optional): B x L, 1 at hidden tokens. Defaults to None.

        Returns:
            tuple[Tensor, Tensor or None]: Tokens B x L x C and the fusion term B x L x C
            (None without ``fuse_stages``).
        """
        t, h, w = self.token_grid
        visible = None
        if token_mask is not None:
            visible = (1. - token_mask).view(-1, 1, t, h, w)
        s2, s3 = self.conv_strides[1:]
        x = self.stage1_embed(x)
        v1 = self._upsample(visible, s2 * s3)
        for block in self.stage1_blocks:
            x = block(x, v1)
        fused = self.stage1_fuse(x) if self.fuse_stages else None
        x = self.stage2_embed(x)
        v2 = self._upsample(visible, s3)
        for block in self.stage2_blocks:
            x = block(x, v2)
        if self.fuse_stages:
            fused = (fused + self.stage2_fuse(x)).flatten(2).transpose(1, 2)
        return self.patch_embed(x).flatten(2).transpose(1, 2), fused

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """As :meth:`VideoViT.get_layer_depth`; conv stages are layer 0, fusion the last."""
        name = param_name[len(prefix):] if param_name.startswith(prefix) else ''
        if name.startswith(('stage1_embed', 'stage2_embed', 'stage1_blocks', 'stage2_blocks')):
            return 0, self.num_layers + 2
        return super().get_layer_depth(param_name, prefix)


@MODELS.register_module()
class VideoConvMAEViT(TubeMaskingMixin, VideoConvViT):
    """:class:`VideoConvViT` with tube masking (masked convolutions) for pre-training.

    Args:
        mask_ratio (float): Share of spatial units hidden, in [0, 1). Defaults to 0.9.
        mask_unit (int): Side of a spatial masking unit in tokens. Defaults to 1.
        **kwargs: :class:`VideoConvViT` arguments.
    """

    def __init__(self, mask_ratio: float = 0.9, mask_unit: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mask_ratio = mask_ratio
        self.mask_unit = mask_unit
        self._check_masking()
