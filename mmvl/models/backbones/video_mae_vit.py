# Copyright (c) mmvl contributors. All rights reserved.
"""Video ViT with tubelet embedding, and its tube-masking pre-training variant.

The encoder of VideoMAE ("VideoMAE: Masked Autoencoders are Data-Efficient Learners for
Self-Supervised Video Pre-Training", Tong et al., NeurIPS 2022, arXiv 2203.12602, Sec. 3.3;
github.com/MCG-NJU/VideoMAE) as used by CMAE-V ("CMAE-V: Contrastive Masked Autoencoders for
Video Action Recognition", Lu et al., arXiv 2301.06018), built from mmpretrain's transformer
layers. Glossary::

    T x H x W     frames x height x width of the input clip (B x 3 x T x H x W)
    t x h x w     token grid: T / tubelet_size x H / patch_size x W / patch_size
    L = t * h * w tokens, ordered (time, row, column); a token embeds one 2 x 16 x 16 tubelet
    U             spatial masking units: (h / mask_unit) * (w / mask_unit)

:class:`VideoViT` is the fine-tuning / feature-extraction encoder (mmpretrain's
``VisionTransformer`` counterpart); :class:`VideoMAEViT` adds tube masking (mmpretrain's
``MAEViT`` counterpart) with the same parameter names, so a pre-trained checkpoint loads into
the fine-tuning model with ``prefix='backbone.'``.
"""
import math
from typing import Dict, List, Literal, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule, ModuleList
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer
from torch import Tensor, nn

from mmvl.registry import MODELS

POS_EMBED_TYPES = ('sincos_3d', 'sincos_1d')
OUT_TYPES = ('raw', 'cls_token', 'avg_featmap')
#: Architecture presets (the ViT-B/L of VideoMAE, and a toy size for the toy world).
ARCH_ZOO = {
    'base': dict(embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=3072),
    'large': dict(embed_dims=1024, num_layers=24, num_heads=16, feedforward_channels=4096),
    'toy': dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
}


def _sincos_1d(positions: Tensor, dims: int, temperature: float = 10000.) -> Tensor:
    """Sin-cos features of shape N x dims for N positions (sin half, then cos half)."""
    omega = 1. / temperature**(torch.arange(dims // 2, dtype=torch.float64) / (dims // 2))
    angles = positions.double()[:, None] * omega[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1).float()


def sincos_pos_embed(grid: Sequence[int], dims: int,
                     kind: Literal['sincos_3d', 'sincos_1d'] = 'sincos_3d') -> Tensor:
    """Fixed space-time position embedding of a t x h x w token grid.

    ``'sincos_3d'`` splits the channels into time, row and column parts (MAE's 2-D sin-cos
    extended by a time axis, as in ConvMAE's video model); ``'sincos_1d'`` numbers the tokens
    0..L-1 in (t, h, w) order and uses the 1-D table of VideoMAE (``get_sinusoid_encoding_table``).

    Args:
        grid (Sequence[int]): (t, h, w).
        dims (int): Embedding width (even).
        kind (str): ``'sincos_3d'`` or ``'sincos_1d'``. Defaults to ``'sincos_3d'``.

    Returns:
        Tensor: L x dims, rows in (t, h, w) order.
    """
    if dims % 2:
        raise ValueError(f'sin-cos position embeddings need an even width, got {dims}')
    t, h, w = grid
    if kind == 'sincos_1d':
        return _sincos_1d(torch.arange(t * h * w), dims)
    if kind != 'sincos_3d':
        raise ValueError(f'pos_embed_type must be one of {POS_EMBED_TYPES}, got {kind!r}')
    space = 2 * (dims // 6)  # channels for rows and for columns each (even)
    time = dims - 2 * space
    tt, hh, ww = torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing='ij')
    return torch.cat([_sincos_1d(tt.flatten(), time), _sincos_1d(hh.flatten(), space),
                      _sincos_1d(ww.flatten(), space)], dim=1)


@MODELS.register_module()
class VideoViT(BaseModule):
    """Video ViT: tubelet embedding, fixed space-time position embedding, transformer layers.

    A ``Conv3d`` with kernel = stride = ``tubelet_size x patch_size x patch_size`` embeds each
    tubelet (VideoMAE Sec. 3.3, "cube embedding"); the fixed sin-cos position embedding is
    added; an optional cls token (position embedding 0, as MAE's) is prepended; then the
    transformer layers and an optional final LayerNorm. For recognition use
    ``out_type='avg_featmap'`` and ``final_norm=False``: mean of the patch tokens followed by a
    LayerNorm (VideoMAE's ``use_mean_pooling``, mmpretrain's ``ln2``).

    Args:
        arch (str or dict): A key of ``ARCH_ZOO`` or a dict with ``embed_dims``,
            ``num_layers``, ``num_heads``, ``feedforward_channels``. Defaults to ``'base'``.
        img_size (int): Frame side. Defaults to 224.
        num_frames (int): Frames per clip. Defaults to 16.
        patch_size (int): Spatial tubelet side. Defaults to 16.
        tubelet_size (int): Frames per tubelet. Defaults to 2.
        in_channels (int): Input channels. Defaults to 3.
        with_cls_token (bool): Prepend a cls token (mmpretrain's MAE decoder expects one).
            Defaults to True.
        pos_embed_type (str): ``'sincos_3d'`` or ``'sincos_1d'``. Defaults to ``'sincos_3d'``.
        final_norm (bool): LayerNorm after the last layer (``ln1``). Defaults to True.
        out_type (str): ``'raw'`` (all tokens, B x N x C), ``'cls_token'`` or
            ``'avg_featmap'`` (B x C). Defaults to ``'raw'``.
        drop_rate (float): Dropout after the position embedding. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing. Defaults to 0.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
        norm_cfg (dict): Norm layers. Defaults to ``dict(type='LN', eps=1e-6)``.
        frozen (bool): Freeze every parameter and keep the module in eval mode (linear
            probing). Defaults to False.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 arch: Union[str, Dict[str, int]] = 'base',
                 img_size: int = 224,
                 num_frames: int = 16,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 with_cls_token: bool = True,
                 pos_embed_type: Literal['sincos_3d', 'sincos_1d'] = 'sincos_3d',
                 final_norm: bool = True,
                 out_type: Literal['raw', 'cls_token', 'avg_featmap'] = 'raw',
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: bool = True,
                 norm_cfg: Optional[dict] = None,
                 frozen: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in ARCH_ZOO:
                raise ValueError(f'unknown arch {arch!r}; valid: {", ".join(ARCH_ZOO)}')
            arch = ARCH_ZOO[arch]
        missing = {'embed_dims', 'num_layers', 'num_heads', 'feedforward_channels'} - set(arch)
        if missing:
            raise ValueError(f'arch dict misses {sorted(missing)}')
        if pos_embed_type not in POS_EMBED_TYPES:
            raise ValueError(f'pos_embed_type must be one of {POS_EMBED_TYPES}, got '
                             f'{pos_embed_type!r}')
        if out_type not in OUT_TYPES:
            raise ValueError(f'out_type must be one of {OUT_TYPES}, got {out_type!r}')
        if out_type == 'cls_token' and not with_cls_token:
            raise ValueError("out_type='cls_token' needs with_cls_token=True")
        if img_size % patch_size or num_frames % tubelet_size:
            raise ValueError(f'a {num_frames} x {img_size} x {img_size} clip does not split '
                             f'into {tubelet_size} x {patch_size} x {patch_size} tubelets')
        norm_cfg = dict(norm_cfg or dict(type='LN', eps=1e-6))
        self.arch = dict(arch)
        self.embed_dims = arch['embed_dims']
        self.num_layers = arch['num_layers']
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.token_grid = (num_frames // tubelet_size, img_size // patch_size,
                           img_size // patch_size)
        self.num_patches = math.prod(self.token_grid)
        self.with_cls_token = with_cls_token
        self.num_extra_tokens = int(with_cls_token)
        self.pos_embed_type = pos_embed_type
        self.final_norm = final_norm
        self.out_type = out_type
        self.frozen = frozen

        self.patch_embed = self._build_patch_embed(in_channels)
        if with_cls_token:
            self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        # fixed (not learnt), a parameter as in mmpretrain's MAEViT so checkpoints carry it
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_patches, self.embed_dims), requires_grad=False)
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        rates = torch.linspace(0, drop_path_rate, self.num_layers).tolist()
        self.layers = ModuleList([
            TransformerEncoderLayer(
                embed_dims=self.embed_dims,
                num_heads=arch['num_heads'],
                feedforward_channels=arch['feedforward_channels'],
                drop_rate=drop_rate,
                drop_path_rate=rates[i],
                qkv_bias=qkv_bias,
                norm_cfg=norm_cfg) for i in range(self.num_layers)
        ])
        if final_norm:
            self.ln1 = build_norm_layer(norm_cfg, self.embed_dims)[1]
        if out_type == 'avg_featmap':
            self.ln2 = build_norm_layer(norm_cfg, self.embed_dims)[1]
        if frozen:
            self.requires_grad_(False)

    def _build_patch_embed(self, in_channels: int) -> nn.Module:
        """The tubelet embedding: B x 3 x T x H x W -> B x C x t x h x w."""
        kernel = (self.tubelet_size, self.patch_size, self.patch_size)
        return nn.Conv3d(in_channels, self.embed_dims, kernel_size=kernel, stride=kernel)

    def init_weights(self) -> None:
        """Fixed position embedding; MAE-style init of the tubelet projection and cls token."""
        super().init_weights()
        self.pos_embed.data.copy_(
            sincos_pos_embed(self.token_grid, self.embed_dims, self.pos_embed_type)[None])
        init_cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        if any(isinstance(c, dict) and c.get('type') == 'Pretrained' for c in init_cfgs):
            return
        if isinstance(self.patch_embed, nn.Conv3d):
            weight = self.patch_embed.weight
            nn.init.xavier_uniform_(weight.view(weight.shape[0], -1))
        if self.with_cls_token:
            trunc_normal_(self.cls_token, std=.02)

    def train(self, mode: bool = True) -> 'VideoViT':
        """Keep a frozen encoder in eval mode (no dropout, no norm statistics updates)."""
        return super().train(mode and not self.frozen)

    def _check_grid(self, x: Tensor) -> None:
        t, h, w = self.token_grid
        expected = (t * self.tubelet_size, h * self.patch_size, w * self.patch_size)
        if x.dim() != 5 or tuple(x.shape[2:]) != expected:
            raise ValueError(f'{type(self).__name__} expects clips B x C x {expected[0]} x '
                             f'{expected[1]} x {expected[2]}, got {tuple(x.shape)}')

    def embed_tokens(self, x: Tensor, token_mask: Optional[Tensor] = None
                     ) -> Tuple[Tensor, Optional[Tensor]]:
        """Tubelet tokens (before the position embedding).

        Args:
            x (Tensor): Clips B x C x T x H x W.
            token_mask (Tensor, optional): B x L, 1 at hidden tokens. Unused here (tubelets do
                not overlap); the hybrid encoder masks its convolutions with it.

        Returns:
            tuple[Tensor, Tensor or None]: Tokens B x L x C and an optional B x L x C tensor
            added to the transformer output (multi-scale features of the hybrid encoder).
        """
        return self.patch_embed(x).flatten(2).transpose(1, 2), None

    def encode(self, tokens: Tensor, ids_keep: Optional[Tensor] = None,
               side: Optional[Tensor] = None) -> Tensor:
        """Position embedding, token selection, cls token, transformer layers, final norm.

        Args:
            tokens (Tensor): B x L x C tubelet tokens in (t, h, w) order.
            ids_keep (Tensor, optional): B x L_keep indices of the visible tokens. Defaults to
                None (all tokens).
            side (Tensor, optional): B x L x C added to the outputs of the kept tokens before
                the final norm. Defaults to None.

        Returns:
            Tensor: B x (num_extra_tokens + L_keep) x C.
        """
        x = tokens + self.pos_embed
        if ids_keep is not None:
            index = ids_keep.unsqueeze(-1).expand(-1, -1, x.shape[-1])
            x = torch.gather(x, 1, index)
            side = None if side is None else torch.gather(side, 1, index)
        if self.with_cls_token:
            x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.drop_after_pos(x)
        for layer in self.layers:
            x = layer(x)
        if side is not None:
            x = torch.cat([x[:, :self.num_extra_tokens], x[:, self.num_extra_tokens:] + side], 1)
        if self.final_norm:
            x = self.ln1(x)
        return x

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """Encode whole clips.

        Args:
            x (Tensor): Clips B x C x T x H x W.

        Returns:
            tuple[Tensor]: One output by ``out_type``: B x N x C tokens (``'raw'``), the cls
            token B x C, or the LayerNorm-ed mean of the patch tokens B x C.
        """
        self._check_grid(x)
        tokens, side = self.embed_tokens(x)
        x = self.encode(tokens, side=side)
        if self.out_type == 'raw':
            return (x, )
        if self.out_type == 'cls_token':
            return (x[:, 0], )
        return (self.ln2(x[:, self.num_extra_tokens:].mean(dim=1)), )

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """Layer id for layer-wise learning-rate decay (mmpretrain's convention).

        Embeddings and the cls token are layer 0, transformer layer ``i`` is ``i + 1``, the rest
        (final norms) ``num_layers + 1``.

        Returns:
            tuple[int, int]: (layer id, number of layers + 2).
        """
        num_layers = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name.startswith(('cls_token', 'pos_embed', 'patch_embed')):
            return 0, num_layers
        if name.startswith('layers.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers


class TubeMaskingMixin:
    """Tube masking (VideoMAE Sec. 3.3): one spatial mask shared by every temporal position.

    Spatial units of ``mask_unit x mask_unit`` tokens (1: per token, VideoMAE; 2: CMAE's 2 x 2
    blocks) are numbered row-major; a sample keeps the ``int(U * (1 - mask_ratio))`` units with
    the smallest noise at every time step and hides the rest, so a hidden tubelet cannot be
    recovered by copying the same place from a neighbouring frame. The noise is the one random
    draw (:meth:`draw_noise`, or the ``noise`` argument).
    """

    mask_ratio: float
    mask_unit: int
    token_grid: Tuple[int, int, int]

    def _check_masking(self) -> None:
        if not 0. <= self.mask_ratio < 1.:
            raise ValueError(f'mask_ratio must be in [0, 1), got {self.mask_ratio}')
        _, h, w = self.token_grid
        if self.mask_unit < 1 or h % self.mask_unit or w % self.mask_unit:
            raise ValueError(f'the {h} x {w} token grid does not split into {self.mask_unit} x '
                             f'{self.mask_unit} masking units')

    @property
    def num_units(self) -> int:
        """U: spatial masking units."""
        _, h, w = self.token_grid
        return (h // self.mask_unit) * (w // self.mask_unit)

    def draw_noise(self, batch_size: int, device: torch.device) -> Tensor:
        """Uniform noise per spatial unit, B x U (replaceable in tests)."""
        return torch.rand(batch_size, self.num_units, device=device)

    def tube_mask(self, batch_size: int, device: torch.device,
                  noise: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Draw a tube mask.

        Args:
            batch_size (int): B.
            device (torch.device): Device of the outputs.
            noise (Tensor, optional): B x U; the units with the smallest noise are kept.
                Drawn by :meth:`draw_noise` when None.

        Returns:
            tuple[Tensor, Tensor, Tensor]:

            - ``mask``: B x L float, 1 at hidden tokens; equal for every time step.
            - ``ids_restore``: B x L, position of each token in ``[kept, hidden]`` order.
            - ``ids_keep``: B x L_keep, the kept tokens in (t, h, w) order.
        """
        t, h, w = self.token_grid
        length = t * h * w
        if self.mask_ratio == 0:
            ids = torch.arange(length, device=device).expand(batch_size, length).clone()
            return torch.zeros(batch_size, length, device=device), ids, ids.clone()
        keep = int(self.num_units * (1 - self.mask_ratio))
        if keep < 1:
            raise ValueError(f'mask_ratio {self.mask_ratio} keeps none of {self.num_units} '
                             'masking units')
        if noise is None:
            noise = self.draw_noise(batch_size, device)
        elif tuple(noise.shape) != (batch_size, self.num_units):
            raise ValueError(f'noise must have shape {(batch_size, self.num_units)}, got '
                             f'{tuple(noise.shape)}')
        b = self.mask_unit
        unit_mask = torch.ones(batch_size, self.num_units, device=device)
        unit_mask.scatter_(1, noise.argsort(dim=1)[:, :keep], 0.)
        spatial = (unit_mask.view(batch_size, h // b, 1, w // b, 1).expand(-1, -1, b, -1, b)
                   .reshape(batch_size, 1, h * w))
        mask = spatial.expand(-1, t, -1).reshape(batch_size, length)
        ids_shuffle = mask.argsort(dim=1, stable=True)  # kept first, each in (t, h, w) order
        ids_restore = ids_shuffle.argsort(dim=1)
        return mask, ids_restore, ids_shuffle[:, :keep * b * b * t]

    def forward(self,
                x: Tensor,
                mask: Optional[bool] = True,
                noise: Optional[Tensor] = None) -> Union[Tuple[Tensor, Tensor, Tensor], tuple]:
        """Encode the visible tubelets (``mask=True``) or the whole clip (``mask`` falsy).

        Args:
            x (Tensor): Clips B x C x T x H x W.
            mask (bool, optional): Mask (pre-training) or run the plain encoder (its
                ``out_type`` output). Defaults to True.
            noise (Tensor, optional): Unit noise, see :meth:`tube_mask`.

        Returns:
            With ``mask=True``: ``(latent, mask, ids_restore)`` as mmpretrain's ``MAEViT``:
            latent B x (1 + L_keep) x C with the cls token first, mask B x L (1 = hidden),
            ids_restore B x L. Otherwise the plain encoder's outputs.
        """
        if not mask:
            return super().forward(x)
        self._check_grid(x)
        token_mask, ids_restore, ids_keep = self.tube_mask(x.shape[0], x.device, noise)
        tokens, side = self.embed_tokens(x, token_mask)
        return self.encode(tokens, ids_keep, side), token_mask, ids_restore


@MODELS.register_module()
class VideoMAEViT(TubeMaskingMixin, VideoViT):
    """:class:`VideoViT` with tube masking for VideoMAE / CMAE-V pre-training.

    Follows mmpretrain ``MAEViT``'s interface, so ``mmpretrain.MAE`` (the VideoMAE baseline)
    and mmvl's ``CMAE`` (CMAE-V) drive it unchanged. With ``mask_ratio=0`` nothing is hidden
    and tokens keep their order: CMAE's target encoder.

    Args:
        mask_ratio (float): Share of spatial units hidden, in [0, 1). Defaults to 0.9
            (VideoMAE).
        mask_unit (int): Side of a spatial masking unit in tokens. Defaults to 1.
        **kwargs: :class:`VideoViT` arguments.
    """

    def __init__(self, mask_ratio: float = 0.9, mask_unit: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mask_ratio = mask_ratio
        self.mask_unit = mask_unit
        self._check_masking()
