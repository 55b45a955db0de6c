# Copyright (c) mmvl contributors. All rights reserved.
"""Pixel decoder and pixel head of masked video pre-training (VideoMAE and CMAE-V).

VideoMAE (Tong et al., NeurIPS 2022, arXiv 2203.12602, Sec. 3.3) reconstructs the hidden
tubelets of a clip; CMAE-V (Lu et al., arXiv 2301.06018) keeps CMAE's pixel branch and only
changes the input from images to clips. The encoder is ``VideoMAEViT`` /
``VideoConvMAEViT`` (mmvl.models.backbones); the algorithm is mmpretrain's ``MAE`` for the
VideoMAE baseline and mmvl's ``CMAE`` for CMAE-V. This module holds the two video-specific
parts:

- :class:`VideoMAEPretrainDecoder`: mmpretrain's ``MAEPretrainDecoder`` with a fixed
  space-time position embedding of the t x h x w token grid (the image decoder assumes a
  square 2-D grid);
- :class:`VideoMAEPretrainHead`: mmpretrain's ``MAEPretrainHead`` with a 3-D patchify, so the
  target of a token is its tubelet's ``tubelet_size * patch_size**2 * 3`` normalised pixels
  (2 x 16 x 16 x 3 = 1536 at paper scale), in the encoder's (t, h, w) token order.
"""
from typing import Literal, Optional, Sequence

import torch
from mmpretrain.models.heads import MAEPretrainHead
from mmpretrain.models.necks import MAEPretrainDecoder
from torch import Tensor

from mmvl.models.backbones.video_mae_vit import POS_EMBED_TYPES, sincos_pos_embed
from mmvl.registry import MODELS

PIX_NORMS = ('tubelet', 'tubelet_per_channel')


def patchify_3d(clips: Tensor, patch_size: int, tubelet_size: int) -> Tensor:
    """Split clips into tubelets.

    Args:
        clips (Tensor): B x C x T x H x W.
        patch_size (int): Spatial tubelet side p.
        tubelet_size (int): Frames per tubelet q.

    Returns:
        Tensor: B x L x (q * p * p * C), tokens in (t, h, w) order, each vector in
        (frame, row, column, channel) order.
    """
    b, c, frames, height, width = clips.shape
    p, q = patch_size, tubelet_size
    if frames % q or height % p or width % p:
        raise ValueError(f'clips {tuple(clips.shape)} do not split into {q} x {p} x {p} '
                         'tubelets')
    t, h, w = frames // q, height // p, width // p
    x = clips.reshape(b, c, t, q, h, p, w, p)
    x = x.permute(0, 2, 4, 6, 3, 5, 7, 1)  # b t h w q p p c
    return x.reshape(b, t * h * w, q * p * p * c)


def unpatchify_3d(tokens: Tensor, grid: Sequence[int], patch_size: int, tubelet_size: int,
                  in_channels: int = 3) -> Tensor:
    """Inverse of :func:`patchify_3d`.

    Args:
        tokens (Tensor): B x L x (q * p * p * C).
        grid (Sequence[int]): Token grid (t, h, w), t * h * w = L.
        patch_size (int): p.
        tubelet_size (int): q.
        in_channels (int): C. Defaults to 3.

    Returns:
        Tensor: B x C x (t q) x (h p) x (w p).
    """
    t, h, w = grid
    p, q, c = patch_size, tubelet_size, in_channels
    b, length, dims = tokens.shape
    if length != t * h * w or dims != q * p * p * c:
        raise ValueError(f'tokens {tuple(tokens.shape)} do not match grid {tuple(grid)} of '
                         f'{q} x {p} x {p} x {c} tubelets')
    x = tokens.reshape(b, t, h, w, q, p, p, c).permute(0, 7, 1, 4, 2, 5, 3, 6)
    return x.reshape(b, c, t * q, h * p, w * p)


@MODELS.register_module()
class VideoMAEPretrainDecoder(MAEPretrainDecoder):
    """MAE decoder over a space-time token grid.

    Embeds the encoder output (cls token first), puts learnable mask tokens at the hidden
    positions (``ids_restore``), adds a fixed sin-cos space-time position embedding (zero for
    the cls token), runs the transformer layers and predicts one vector per token; the cls
    output is dropped.

    Args:
        token_grid (Sequence[int]): (t, h, w) of the encoder.
        patch_size (int): Spatial tubelet side. Defaults to 16.
        tubelet_size (int): Frames per tubelet. Defaults to 2.
        in_chans (int): Input channels. Defaults to 3.
        pos_embed_type (str): ``'sincos_3d'`` or ``'sincos_1d'`` (as the encoder's).
            Defaults to ``'sincos_3d'``.
        predict_feature_dim (int, optional): Output width; defaults to the tubelet's pixel
            count ``tubelet_size * patch_size**2 * in_chans`` (1536 at paper scale). Set it to
            the encoder width for CMAE's feature decoder.
        **kwargs: Other ``MAEPretrainDecoder`` arguments (``embed_dim``,
            ``decoder_embed_dim``, ``decoder_depth``, ``decoder_num_heads``, ``mlp_ratio``).
    """

    def __init__(self,
                 token_grid: Sequence[int],
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_chans: int = 3,
                 pos_embed_type: Literal['sincos_3d', 'sincos_1d'] = 'sincos_3d',
                 predict_feature_dim: Optional[int] = None,
                 **kwargs) -> None:
        if len(token_grid) != 3:
            raise ValueError(f'token_grid must be (t, h, w), got {token_grid}')
        if pos_embed_type not in POS_EMBED_TYPES:
            raise ValueError(f'pos_embed_type must be one of {POS_EMBED_TYPES}, got '
                             f'{pos_embed_type!r}')
        if predict_feature_dim is None:
            predict_feature_dim = tubelet_size * patch_size**2 * in_chans
        num_patches = token_grid[0] * token_grid[1] * token_grid[2]
        super().__init__(num_patches=num_patches, patch_size=patch_size, in_chans=in_chans,
                         predict_feature_dim=predict_feature_dim, **kwargs)
        self.token_grid = tuple(token_grid)
        self.pos_embed_type = pos_embed_type

    def init_weights(self) -> None:
        """Fixed space-time position embedding (cls slot zero) and the mask token.

        Does what ``MAEPretrainDecoder.init_weights`` does (``init_cfg`` initialisation,
        mask token ~ N(0, 0.02)) except its 2-D table, which assumes a square number of
        tokens and fails on grids such as 8 x 14 x 14 (1568 tokens). Like mmpretrain 1.2.0's
        decoder it has no linear init of its own: the xavier-uniform linears and unit
        LayerNorms of MAE / VideoMAE come from ``init_cfg``, given at model level in the
        configs (as in mmpretrain's MAE configs).
        """
        super(MAEPretrainDecoder, self).init_weights()  # BaseModule: init_cfg only
        table = sincos_pos_embed(self.token_grid, self.decoder_pos_embed.shape[-1],
                                 self.pos_embed_type)
        with torch.no_grad():
            self.decoder_pos_embed[0, 0].zero_()
            self.decoder_pos_embed[0, 1:].copy_(table)
        torch.nn.init.normal_(self.mask_token, std=.02)


@MODELS.register_module()
class VideoMAEPretrainHead(MAEPretrainHead):
    """Masked-tubelet reconstruction loss with 3-D patchified targets.

    ``loss(pred, clips, mask)``: the target is ``patchify_3d(clips)``, normalised per
    tubelet when ``norm_pix`` (``pix_norm='tubelet'``: over all q*p*p*C values, as MAE and
    CMAE normalise a patch; ``'tubelet_per_channel'``: per colour channel, as VideoMAE's
    ``normlize_target``), and the loss module (``PixelReconstructionLoss``) averages the
    error over hidden tokens only.

    Args:
        loss (dict): Loss module, e.g. ``dict(type='PixelReconstructionLoss',
            criterion='L2')``.
        norm_pix (bool): Normalise each target tubelet. Defaults to True.
        pix_norm (str): ``'tubelet'`` or ``'tubelet_per_channel'``. Defaults to
            ``'tubelet'``.
        patch_size (int): Spatial tubelet side. Defaults to 16.
        tubelet_size (int): Frames per tubelet. Defaults to 2.
        in_channels (int): Input channels. Defaults to 3.
    """

    def __init__(self,
                 loss: dict,
                 norm_pix: bool = True,
                 pix_norm: Literal['tubelet', 'tubelet_per_channel'] = 'tubelet',
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3) -> None:
        if pix_norm not in PIX_NORMS:
            raise ValueError(f'pix_norm must be one of {PIX_NORMS}, got {pix_norm!r}')
        super().__init__(loss=loss, norm_pix=norm_pix, patch_size=patch_size,
                         in_channels=in_channels)
        self.tubelet_size = tubelet_size
        self.pix_norm = pix_norm

    def patchify(self, imgs: Tensor) -> Tensor:
        """B x C x T x H x W clips -> B x L x (q p p C) tubelets (see :func:`patchify_3d`)."""
        return patchify_3d(imgs, self.patch_size, self.tubelet_size)

    def unpatchify(self, x: Tensor, grid: Optional[Sequence[int]] = None) -> Tensor:
        """B x L x (q p p C) tubelets -> clips; ``grid`` (t, h, w) is required."""
        if grid is None:
            raise ValueError('unpatchify of clips needs the token grid (t, h, w)')
        return unpatchify_3d(x, grid, self.patch_size, self.tubelet_size, self.in_channels)

    def construct_target(self, target: Tensor) -> Tensor:
        """Patchify the clips and normalise each tubelet (B x L x q p p C)."""
        if not self.norm_pix or self.pix_norm == 'tubelet':
            return super().construct_target(target)
        tokens = self.patchify(target)
        per_channel = tokens.view(*tokens.shape[:2], -1, self.in_channels)
        mean = per_channel.mean(dim=-2, keepdim=True)
        var = per_channel.var(dim=-2, keepdim=True)
        return ((per_channel - mean) / (var + 1.e-6)**.5).flatten(2)
