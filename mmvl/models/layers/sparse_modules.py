# Copyright (c) mmvl contributors. All rights reserved.
"""Sparse convolutional layers simulated with dense operations, for SparK.

"Designing BERT for Convolutional Networks: Sparse and Hierarchical Masked Modeling", Tian et
al., ICLR 2023 (arXiv 2301.03580), Sec. 3.1-3.2; the authors' ``pretrain/encoder.py``
(github.com/keyu-tian/SparK). A masked image is a set of visible patches; SparK encodes only
them ("sparse convolution") by running the dense layers and zeroing every output at a masked
position, and by computing normalisation statistics and global averages over visible
positions only. Masked zeros then never reach a visible output.

mmvl differs from the authors' code and mmpretrain 1.2.0's ``SparseHelper`` in where the mask
lives: not in a module global or class attribute, but in a :class:`SparseContext` owned by one
model. :func:`sparsify` converts a dense model in place by swapping each layer's class for its
sparse subclass (names, parameters and buffers stay, so state dicts load both ways) and gives
every sparse layer that context. With no mask active, every sparse layer computes exactly what
its dense parent computes, so a sparsified backbone extracts features, runs inference and
fine-tunes unchanged (this fixes mmpretrain issue #1889).

Supported layer types (exact types; a subclass could change ``forward``):

==============================  =====================================================
dense                           sparse behaviour with a mask active
==============================  =====================================================
``nn.Conv2d``                   output zeroed at masked positions
``nn.MaxPool2d``                masked inputs excluded (-inf), output zeroed
``nn.AvgPool2d``                output zeroed (as the authors')
``nn.BatchNorm2d`` (and         statistics and normalisation over visible positions
mmengine's ``_BatchNormXd``),   only, zeros elsewhere
``nn.SyncBatchNorm`` (and
mmcv's 'SyncBN')
mmpretrain ``LayerNorm2d``      normalisation of visible positions only, zeros elsewhere
``nn.Linear``                   on N x H x W x C inputs (ConvNeXt's pointwise convs): output
                                zeroed at masked positions; other inputs dense
mmpretrain ``GRN``              response norms over visible positions only, output zeroed
``nn.AdaptiveAvgPool2d(1)``     average over visible positions only (SE layers, SparK #54)
==============================  =====================================================

Other spatial layers (GroupNorm, InstanceNorm, nn.LayerNorm, Conv1d/3d, transposed convs,
non-global adaptive pools, subclasses of the types above) make :func:`sparsify` raise an error
naming the module. Pointwise layers (activations with f(0) = 0, dropout, drop path) are left
alone. Spatial mixing done with functional calls inside a module's own ``forward`` cannot be
seen by :func:`sparsify`; such a model needs its own sparse variant.

A layer whose output is 1 x 1 while the mask grid is larger reads a global feature (the 1 x 1
convs of an SE layer after a sparse global pool): it runs dense.
"""
import contextlib
from typing import Dict, Iterator, Optional, Tuple, Type

import torch
import torch.nn.functional as F
from mmengine.model.utils import _BatchNormXd
from mmengine.utils.dl_utils.parrots_wrapper import SyncBatchNorm as MMEngineSyncBatchNorm
from mmpretrain.models.utils import GRN, LayerNorm2d
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.modules.pooling import (_AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd,
                                      _LPPoolNd, _MaxPoolNd)

__all__ = [
    'SparseContext', 'SparseConv2d', 'SparseMaxPool2d', 'SparseAvgPool2d', 'SparseBatchNorm2d',
    'SparseSyncBatchNorm2d', 'SparseLayerNorm2d', 'SparseLinear', 'SparseGRN',
    'SparseAdaptiveAvgPool2d', 'sparsify', 'is_sparse'
]


class SparseContext:
    """The active (visible) mask of one sparse model, set for the span of one forward.

    Not a module and not shared: each sparsified model owns one, and a deep copy of the model
    gets a fresh one (``__deepcopy__``), so two models in one process never see each other's
    mask. Expanded maps and indices are cached per resolution while a mask is active.
    """

    def __init__(self) -> None:
        self._active: Optional[Tensor] = None
        self._maps: Dict[Tuple[int, int], Tensor] = {}
        self._indices: Dict[Tuple[int, int], Tuple[Tensor, ...]] = {}

    def __deepcopy__(self, memo: dict) -> 'SparseContext':
        return SparseContext()

    @property
    def active(self) -> Optional[Tensor]:
        """Tensor or None: the active mask, B x 1 x h x w bool (True = visible), or None."""
        return self._active

    @contextlib.contextmanager
    def activate(self, mask: Tensor) -> Iterator[Tensor]:
        """Make ``mask`` the active mask inside the ``with`` block; restore the previous after.

        Args:
            mask (Tensor): B x 1 x h x w, bool, True at visible cells.

        Yields:
            Tensor: ``mask``.
        """
        if mask.dtype != torch.bool or mask.dim() != 4 or mask.shape[1] != 1:
            raise ValueError('the active mask must be a bool tensor of shape B x 1 x h x w, '
                             f'got {mask.dtype} of shape {tuple(mask.shape)}')
        saved = self._active, self._maps, self._indices
        self._active, self._maps, self._indices = mask, {}, {}
        try:
            yield mask
        finally:
            self._active, self._maps, self._indices = saved

    def is_global(self, height: int, width: int) -> bool:
        """Whether a height x width map is a global (pooled) feature under the active mask."""
        return (height, width) == (1, 1) and tuple(self._active.shape[-2:]) != (1, 1)

    def active_map(self, height: int, width: int) -> Tensor:
        """The active mask repeated to a map's resolution.

        Args:
            height (int): Height of the map; a multiple of the mask's height.
            width (int): Width of the map; a multiple of the mask's width.

        Returns:
            Tensor: B x 1 x height x width, bool.
        """
        key = (height, width)
        if key not in self._maps:
            if self._active is None:
                raise RuntimeError('no active mask: use SparseContext.activate(mask)')
            mask_h, mask_w = self._active.shape[-2:]
            if height % mask_h or width % mask_w:
                raise ValueError(
                    f'a {height} x {width} feature map is not a whole number of cells of the '
                    f'{mask_h} x {mask_w} mask grid: the input size must be a multiple of the '
                    'mask patch size (the encoder downsample ratio) and every layer must '
                    'downsample by a divisor of it')
            self._maps[key] = self._active.repeat_interleave(
                height // mask_h, dim=2).repeat_interleave(
                    width // mask_w, dim=3)
        return self._maps[key]

    def active_index(self, height: int, width: int) -> Tuple[Tensor, ...]:
        """Indices (batch, row, column) of the visible positions of a height x width map."""
        key = (height, width)
        if key not in self._indices:
            self._indices[key] = self.active_map(height, width)[:, 0].nonzero(as_tuple=True)
        return self._indices[key]


class _Sparse:
    """Mixin of the sparse layers: the owning model's context, set by :func:`sparsify`."""
    _sparse_context: SparseContext

    def _mask_output(self, out: Tensor) -> Tensor:
        """Zero the masked positions of an N x C x H x W output, in place."""
        ctx = self._sparse_context
        if ctx.active is None or ctx.is_global(*out.shape[-2:]):
            return out
        return out.mul_(ctx.active_map(*out.shape[-2:]))

    def _active_rows(self, x: Tensor, channel_last: bool) -> Optional[Tuple[Tensor, ...]]:
        """Indices of the visible positions of x, or None to run dense."""
        ctx = self._sparse_context
        size = x.shape[1:3] if channel_last else x.shape[2:4]
        if ctx.active is None or ctx.is_global(*size):
            return None
        return ctx.active_index(*size)


def _scatter_rows(rows: Tensor, index: Tuple[Tensor, ...], like: Tensor) -> Tensor:
    """An N x H x W x C tensor with ``rows`` at ``index`` and zeros elsewhere."""
    out = torch.zeros_like(like, dtype=rows.dtype)
    out[index] = rows
    return out


class SparseConv2d(_Sparse, nn.Conv2d):
    """``nn.Conv2d`` whose output is zero at masked positions (SparK Sec. 3.1)."""

    def forward(self, x: Tensor) -> Tensor:
        return self._mask_output(super().forward(x))


class SparseMaxPool2d(_Sparse, nn.MaxPool2d):
    """``nn.MaxPool2d`` over visible inputs only, output zero at masked positions.

    NOTE: the authors' layer pools the masked zeros too; after a ReLU (ResNet's stem) the two
    agree, and on signed inputs this one does not let a masked zero win the maximum.
    """

    def forward(self, x: Tensor) -> Tensor:
        ctx = self._sparse_context
        if ctx.active is None or ctx.is_global(*x.shape[-2:]):
            return super().forward(x)
        x = x.masked_fill(~ctx.active_map(*x.shape[-2:]), float('-inf'))
        out = super().forward(x)
        if self.return_indices:
            out, indices = out
            return out.masked_fill(~ctx.active_map(*out.shape[-2:]), 0.), indices
        return out.masked_fill(~ctx.active_map(*out.shape[-2:]), 0.)


class SparseAvgPool2d(_Sparse, nn.AvgPool2d):
    """``nn.AvgPool2d`` whose output is zero at masked positions (the authors' layer).

    Windows that never straddle a cell border (ResNet-D's ``avg_down``: kernel = stride,
    aligned) average visible positions only.
    """

    def forward(self, x: Tensor) -> Tensor:
        return self._mask_output(super().forward(x))


class _SparseBatchNorm(_Sparse):
    """Batch norm over the visible positions only: the authors' ``sp_bn_forward``.

    The visible positions of the N x C x H x W input are gathered into an M x C batch,
    normalised (statistics, running averages and SyncBN's all-reduce over those M rows only)
    and scattered back; masked positions are zero.
    """

    def forward(self, x: Tensor) -> Tensor:
        index = self._active_rows(x, channel_last=False)
        if index is None:
            return super().forward(x)
        bhwc = x.permute(0, 2, 3, 1)
        rows = super().forward(bhwc[index])
        return _scatter_rows(rows, index, bhwc).permute(0, 3, 1, 2)


class SparseBatchNorm2d(_SparseBatchNorm, nn.BatchNorm2d):
    """``nn.BatchNorm2d`` over visible positions only (SparK Sec. 3.1)."""

    def _check_input_dim(self, input: Tensor) -> None:
        # M x C rows of visible positions (as the authors' BatchNorm1d), or dense N x C x H x W
        if input.dim() not in (2, 4):
            raise ValueError(f'expected 2D or 4D input (got {input.dim()}D input)')


class SparseSyncBatchNorm2d(_SparseBatchNorm, nn.SyncBatchNorm):
    """``nn.SyncBatchNorm`` over visible positions only, synchronised across processes."""


class SparseLayerNorm2d(_Sparse, LayerNorm2d):
    """mmpretrain's ``LayerNorm2d`` (ConvNeXt) applied to visible positions only.

    The authors' ``SparseConvNeXtLayerNorm`` for both data formats; masked positions are
    zero (a dense LayerNorm would put its bias there).
    """

    def forward(self, x: Tensor, data_format: str = 'channel_first') -> Tensor:
        channel_last = data_format == 'channel_last'
        if not channel_last and data_format != 'channel_first':
            raise ValueError(f"data_format must be 'channel_first' or 'channel_last', got "
                             f'{data_format!r}')
        index = self._active_rows(x, channel_last)
        if index is None:
            return super().forward(x, data_format=data_format)
        bhwc = x if channel_last else x.permute(0, 2, 3, 1)
        rows = F.layer_norm(bhwc[index], self.normalized_shape, self.weight, self.bias,
                            self.eps)
        out = _scatter_rows(rows, index, bhwc)
        return out if channel_last else out.permute(0, 3, 1, 2)


class SparseLinear(_Sparse, nn.Linear):
    """``nn.Linear`` that zeroes masked positions of N x H x W x C inputs.

    ConvNeXt's pointwise convolutions are linears on channel-last maps: their bias would make
    masked positions non-zero. Inputs of any other rank run dense.
    """

    def forward(self, x: Tensor) -> Tensor:
        out = super().forward(x)
        ctx = self._sparse_context
        if x.dim() != 4 or ctx.active is None or ctx.is_global(*x.shape[1:3]):
            return out
        return out.mul_(ctx.active_map(*x.shape[1:3]).permute(0, 2, 3, 1))


class SparseGRN(_Sparse, GRN):
    """ConvNeXt V2's global response norm over visible positions only.

    The spatial L2 norm of a map whose masked positions are zero equals the norm over the
    visible positions, so the input is zeroed there, GRN runs, and the output (which would
    carry ``beta`` at masked positions) is zeroed again.
    """

    def forward(self, x: Tensor, data_format: str = 'channel_first') -> Tensor:
        ctx = self._sparse_context
        size = x.shape[1:3] if data_format == 'channel_last' else x.shape[2:4]
        if ctx.active is None or ctx.is_global(*size):
            return super().forward(x, data_format=data_format)
        mask = ctx.active_map(*size)
        if data_format == 'channel_last':
            mask = mask.permute(0, 2, 3, 1)
        return super().forward(x * mask, data_format=data_format) * mask


class SparseAdaptiveAvgPool2d(_Sparse, nn.AdaptiveAvgPool2d):
    """Global average pooling over visible positions only (SE layers; SparK issue #54).

    A dense global pool divides by H x W and so counts every masked zero; this one divides by
    the number of visible positions (a sample with none gets zeros).
    """

    def forward(self, x: Tensor) -> Tensor:
        ctx = self._sparse_context
        if ctx.active is None or ctx.is_global(*x.shape[-2:]):
            return super().forward(x)
        mask = ctx.active_map(*x.shape[-2:]).to(x.dtype)
        total = (x * mask).sum(dim=(2, 3), keepdim=True)
        return total / mask.sum(dim=(2, 3), keepdim=True).clamp(min=1.)


# Exact dense type -> sparse class. Subclasses are refused: they may override ``forward``.
SPARSE_TYPES: Dict[Type[nn.Module], Type[nn.Module]] = {
    nn.Conv2d: SparseConv2d,
    nn.MaxPool2d: SparseMaxPool2d,
    nn.AvgPool2d: SparseAvgPool2d,
    nn.BatchNorm2d: SparseBatchNorm2d,
    _BatchNormXd: SparseBatchNorm2d,  # what mmengine's revert_sync_batchnorm leaves
    nn.SyncBatchNorm: SparseSyncBatchNorm2d,
    MMEngineSyncBatchNorm: SparseSyncBatchNorm2d,  # mmcv's 'SyncBN': only a parrots dim check
    LayerNorm2d: SparseLayerNorm2d,
    nn.Linear: SparseLinear,
    GRN: SparseGRN,
    nn.AdaptiveAvgPool2d: SparseAdaptiveAvgPool2d,
}
# Layers that mix positions or compute statistics over them: unsupported unless listed above.
SPATIAL_TYPES = (_ConvNd, _BatchNorm, nn.GroupNorm, _InstanceNorm, nn.LayerNorm,
                 nn.LocalResponseNorm, _MaxPoolNd, _AvgPoolNd, _AdaptiveAvgPoolNd,
                 _AdaptiveMaxPoolNd, _LPPoolNd, nn.Upsample, nn.Linear, GRN)


def is_sparse(module: nn.Module) -> bool:
    """Whether a module is one of the sparse layers of this file."""
    return isinstance(module, _Sparse)


def _sparse_class(module: nn.Module, path: str) -> Optional[Type[nn.Module]]:
    """The sparse class for ``module``, None for a non-spatial one; raise if unsupported."""
    sparse_cls = SPARSE_TYPES.get(type(module))
    if isinstance(module, nn.AdaptiveAvgPool2d) and module.output_size not in (1, (1, 1)):
        raise TypeError(f'{path} ({module!r}): only global adaptive average pools '
                        '(output size 1) have a sparse version')
    if sparse_cls is None and isinstance(module, SPATIAL_TYPES):
        raise TypeError(
            f'{path} ({type(module).__module__}.{type(module).__name__}) has no sparse '
            'version: masked positions would leak into visible outputs. Supported: ' +
            ', '.join(sorted(t.__name__ for t in SPARSE_TYPES)) + ' (exact types).')
    return sparse_cls


def sparsify(module: nn.Module, context: SparseContext) -> nn.Module:
    """Turn a dense model into its sparse counterpart in place (SparK Sec. 3.1).

    Each supported layer keeps its name, parameters and buffers and changes its class to the
    sparse subclass, which reads ``context``; already sparse layers are re-attached to
    ``context``. All unsupported spatial layers are checked first, so a failure leaves the
    model unchanged.

    Args:
        module (nn.Module): The dense model (or a single layer).
        context (SparseContext): The context its sparse layers read the mask from.

    Returns:
        nn.Module: ``module`` itself.
    """
    plan = []
    for path, sub in module.named_modules():
        if is_sparse(sub):
            plan.append((sub, type(sub)))
            continue
        sparse_cls = _sparse_class(sub, path or type(module).__name__)
        if sparse_cls is not None:
            plan.append((sub, sparse_cls))
    for sub, sparse_cls in plan:
        sub.__class__ = sparse_cls
        sub._sparse_context = context
    return module
