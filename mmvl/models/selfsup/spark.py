# Copyright (c) mmvl contributors. All rights reserved.
"""SparK: sparse and hierarchical masked modelling for any convnet.

"Designing BERT for Convolutional Networks: Sparse and Hierarchical Masked Modeling", Tian et
al., ICLR 2023 (arXiv 2301.03580); the authors' code: github.com/keyu-tian/SparK
(``pretrain/spark.py``). One training step::

    image (B x 3 x H x W) ---- mask generator: keep round(h*w*(1-ratio)) of the h x w cells
      |                                 (cell = downsample ratio, 32 px; h = H / 32)
      x active map (masked pixels -> 0)
      |
    sparse encoder: any dense convnet, sparsified (Sec. 3.1: conv, pool and norm layers
      |             see visible positions only; every map is zero at masked positions)
      v
    4 maps, deepest first --> densify (Sec. 3.2): sparse norm, mask token at masked
      |                        positions, projection to the decoder width of that level
      v
    light UNet decoder (mmpretrain ``SparKLightDecoder``) --> B x 3 x H x W reconstruction
      |
    loss (mmpretrain ``SparKPretrainHead``, Sec. 3.3): MSE to per-patch normalised pixels,
         mean over each patch, averaged over the masked patches only

mmvl reuses mmpretrain 1.2.0's decoder and head (checked against the authors' code: same
blocks, same normalised target with the unbiased variance + 1e-6, same masked mean) and
replaces its sparse encoder: mmpretrain keeps the mask in a class attribute
(``SparseHelper._cur_active``), so ``extract_feat`` outside ``loss`` crashes (mmpretrain issue
#1889) and two models in one process share one mask; it also needs a dedicated
``SparseResNet``/``SparseConvNeXt``. Here the backbone is any dense mmpretrain convnet config,
converted in place by :func:`~mmvl.models.layers.sparsify` with a :class:`SparseContext` owned
by this model; with no mask active it is the dense backbone (same state-dict keys, same
outputs), so ``extract_feat`` and ``mode='tensor'`` run dense. Layers made dense again after
construction (mmengine's Runner reverts SyncBN in non-distributed runs) are re-sparsified at the
start of ``loss``.
"""
import copy
import logging
import math
from typing import Dict, List, Literal, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.models.utils import LayerNorm2d
from torch import Tensor, nn

from mmvl.models.layers.sparse_modules import (SPATIAL_TYPES, SparseContext, is_sparse,
                                               sparsify)
from mmvl.registry import MODELS, TASK_UTILS

DensifyNorm = Literal['bn', 'syncbn', 'ln', 'none']


@TASK_UTILS.register_module()
class SparKMaskGenerator:
    """SparK's random mask: each sample keeps ``round(h * w * (1 - mask_ratio))`` cells.

    The cells are the ``argsort`` of uniform noise drawn on the CPU, as in the authors'
    ``SparK.mask`` (so the same generator state gives the authors' mask).

    Args:
        mask_ratio (float): Share of cells masked, in (0, 1). The paper uses 0.6 (0.75 for
            ConvNeXt-L at 384 px). Defaults to 0.6.
    """

    def __init__(self, mask_ratio: float = 0.6) -> None:
        if not 0. < mask_ratio < 1.:
            raise ValueError(f'mask_ratio must be in (0, 1), got {mask_ratio}')
        self.mask_ratio = mask_ratio

    def __call__(self,
                 batch_size: int,
                 grid: Tuple[int, int],
                 device: Union[torch.device, str] = 'cpu',
                 generator: Optional[torch.Generator] = None) -> Tensor:
        """Draw a mask.

        Args:
            batch_size (int): B.
            grid (tuple[int, int]): (h, w), the mask grid.
            device (torch.device or str): Device of the returned mask. Defaults to 'cpu'.
            generator (torch.Generator, optional): CPU generator for the noise.

        Returns:
            Tensor: B x 1 x h x w bool, True at visible (kept) cells.
        """
        h, w = grid
        keep = round(h * w * (1 - self.mask_ratio))
        if keep < 1:
            raise ValueError(f'mask_ratio {self.mask_ratio} keeps no cell of a {h} x {w} grid')
        order = torch.rand(batch_size, h * w, generator=generator).argsort(dim=1)
        active = torch.zeros(batch_size, h * w, dtype=torch.bool)
        active.scatter_(1, order[:, :keep], True)
        return active.view(batch_size, 1, h, w).to(device)


@MODELS.register_module()
class SparK(BaseSelfSupervisor):
    """SparK pre-training (Sec. 3) around any dense convnet.

    Args:
        backbone (dict): A dense convnet returning its hierarchical maps (shallowest first,
            each level half the previous resolution), e.g.
            ``dict(type='mmpretrain.ResNet', depth=50, out_indices=(0, 1, 2, 3),
            _scope_='mmpretrain')``. It is sparsified in place.
        neck (dict): The light decoder, mmpretrain's ``SparKLightDecoder``; its
            ``feature_dim`` is the decoder width (768 in the paper) and it must upsample by
            ``downsample_ratio``.
        head (dict): mmpretrain's ``SparKPretrainHead`` with ``patch_size`` equal to
            ``downsample_ratio``.
        downsample_ratio (int): The encoder's total stride, which is also the mask cell size
            (Sec. 3.1). Defaults to 32.
        mask_generator (dict): A TASK_UTILS config of the mask generator. Defaults to
            ``dict(type='SparKMaskGenerator', mask_ratio=0.6)``.
        densify_norm (str): Norm of each level before densifying: 'bn', 'syncbn' (ResNet, as
            the authors'), 'ln' (ConvNeXt) or 'none'. Sparse, like the encoder.
            Defaults to 'syncbn'.
        backbone_identity (Sequence[str]): Backbone sub-modules replaced by ``nn.Identity``
            before sparsifying, e.g. ``('norm0', 'norm1', 'norm2', 'norm3')``: mmpretrain's
            ConvNeXt normalises each output, the authors' ConvNeXt does not. Defaults to ().
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``SelfSupDataPreprocessor``.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 downsample_ratio: int = 32,
                 mask_generator: dict = dict(type='SparKMaskGenerator', mask_ratio=0.6),
                 densify_norm: DensifyNorm = 'syncbn',
                 backbone_identity: Sequence[str] = (),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if densify_norm not in ('bn', 'syncbn', 'ln', 'none'):
            raise ValueError("densify_norm must be one of 'bn', 'syncbn', 'ln', 'none', got "
                             f'{densify_norm!r}')
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.SelfSupDataPreprocessor')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=copy.deepcopy(data_preprocessor),
            init_cfg=init_cfg)
        self.downsample_ratio = downsample_ratio
        self.mask_generator = TASK_UTILS.build(mask_generator)
        self._check_neck_and_head()
        for name in backbone_identity:
            if not isinstance(getattr(self.backbone, name, None), nn.Module):
                raise ValueError(f'backbone_identity: the backbone has no sub-module {name!r}')
            setattr(self.backbone, name, nn.Identity())
        self.sparse_context = SparseContext()
        sparsify(self.backbone, self.sparse_context)

        # Densify layers, deepest level first (Sec. 3.2); decoder widths halve per level.
        widths = self._encoder_widths()
        self.densify_norms = nn.ModuleList()
        self.densify_projs = nn.ModuleList()
        self.mask_tokens = nn.ParameterList()
        decoder_width = self.neck.feature_dim
        for i, width in enumerate(reversed(widths)):
            token = nn.Parameter(torch.zeros(1, width, 1, 1))
            trunc_normal_(token, mean=0., std=.02, a=-.02, b=.02)
            self.mask_tokens.append(token)
            self.densify_norms.append(self._build_densify_norm(densify_norm, width))
            if i == 0 and width == decoder_width:
                proj = nn.Identity()  # ConvNeXt-S/T at width 768, as the authors'
            else:
                kernel = 1 if i == 0 else 3
                proj = nn.Conv2d(width, decoder_width, kernel, padding=kernel // 2)
            self.densify_projs.append(proj)
            decoder_width //= 2
        sparsify(self.densify_norms, self.sparse_context)

    def _check_neck_and_head(self) -> None:
        """The decoder and the loss patches must match the mask cell size."""
        ratio = self.downsample_ratio
        if ratio < 1 or ratio & (ratio - 1):
            raise ValueError(f'downsample_ratio must be a power of 2, got {ratio}')
        blocks = len(getattr(self.neck, 'decoder', ()))
        if blocks != round(math.log2(ratio)):
            raise ValueError(f'the decoder upsamples by 2**{blocks}, the encoder downsamples by '
                             f'{ratio}: set neck.upsample_ratio={ratio}')
        if getattr(self.head, 'patch_size', ratio) != ratio:
            raise ValueError(f'head.patch_size is {self.head.patch_size}, the mask cell is '
                             f'{ratio} px: set head.patch_size={ratio}')

    def _encoder_widths(self) -> List[int]:
        """Channels of the backbone's maps, read from one dense forward of a small input."""
        was_training = self.backbone.training
        size = 2 * self.downsample_ratio
        self.backbone.eval()
        with torch.no_grad():
            feats = self.backbone(torch.zeros(1, 3, size, size))
        self.backbone.train(was_training)
        self._check_levels(feats, size, size)
        return [f.shape[1] for f in feats]

    def _check_levels(self, feats: Sequence[Tensor], height: int, width: int) -> None:
        """The deepest map is H/ratio x W/ratio and each shallower one twice as large."""
        h, w = height // self.downsample_ratio, width // self.downsample_ratio
        sizes = [tuple(f.shape[-2:]) for f in feats]
        expected = [(h * 2**i, w * 2**i) for i in reversed(range(len(feats)))]
        if len(feats) > round(math.log2(self.downsample_ratio)) or sizes != expected:
            raise ValueError(
                f'a {height} x {width} input gives backbone maps of sizes {sizes}; SparK needs '
                f'{expected} (deepest = input / downsample_ratio {self.downsample_ratio}, each '
                'shallower level twice as large): check out_indices and downsample_ratio')

    @staticmethod
    def _build_densify_norm(kind: DensifyNorm, width: int) -> nn.Module:
        if kind == 'bn':
            return nn.BatchNorm2d(width)
        if kind == 'syncbn':
            return nn.SyncBatchNorm(width)
        if kind == 'ln':
            return LayerNorm2d(width, eps=1e-6)
        return nn.Identity()

    def _ensure_sparse(self) -> None:
        """Re-sparsify layers that a dense layer replaced after ``__init__``.

        In a non-distributed run mmengine's Runner (``wrap_model``) calls
        ``revert_sync_batchnorm``, which swaps every SyncBatchNorm, the sparse ones included,
        for a dense ``_BatchNormXd`` holding the same parameters and buffers: masked positions
        would then leak into visible ones. Such layers get their sparse class back
        (``_BatchNormXd`` -> :class:`SparseBatchNorm2d`) and this model's context, with one
        logged warning. Running here, at the start of every ``loss``, it works however the
        model was wrapped. A layer with no sparse version is an error.
        """
        ctx = self.sparse_context
        parts = nn.ModuleDict(dict(backbone=self.backbone, densify_norms=self.densify_norms))
        stale = [name for name, module in parts.named_modules()
                 if isinstance(module, SPATIAL_TYPES) and not (
                     is_sparse(module) and module._sparse_context is ctx)]
        if not stale:
            return
        try:
            sparsify(parts, ctx)  # checks every layer before converting any
        except TypeError as error:
            raise RuntimeError(
                'a layer of the backbone or densify_norms was replaced after construction by '
                f'one with no sparse version; masked positions would leak: {error}') from error
        print_log(
            f'SparK: {len(stale)} layer(s) had become dense after construction (e.g. by '
            f"revert_sync_batchnorm) and were made sparse again: {', '.join(stale[:5])}"
            + (', ...' if len(stale) > 5 else ''),
            logger='current',
            level=logging.WARNING)

    @staticmethod
    def _batch(inputs: Union[Tensor, List[Tensor]]) -> Tensor:
        """One batch tensor from a tensor or a list of views (SparK issue #62)."""
        if isinstance(inputs, Tensor):
            return inputs
        if len(inputs) == 0:
            raise ValueError('inputs is an empty list')
        return inputs[0] if len(inputs) == 1 else torch.cat(list(inputs), dim=0)

    def extract_feat(self, inputs: Union[Tensor, List[Tensor]]) -> Tuple[Tensor, ...]:
        """The dense backbone's maps of unmasked images (no mask is active).

        Args:
            inputs (Tensor or list[Tensor]): B x 3 x H x W, or a list of views (concatenated
                along the batch).

        Returns:
            tuple[Tensor]: The backbone's outputs.
        """
        return self.backbone(self._batch(inputs))

    def loss(self,
             inputs: Union[Tensor, List[Tensor]],
             data_samples: Optional[list] = None,
             active_mask: Optional[Tensor] = None,
             **kwargs) -> Dict[str, Tensor]:
        """Mask, encode sparsely, densify, decode and compute the reconstruction loss.

        Args:
            inputs (Tensor or list[Tensor]): Normalised images B x 3 x H x W (H and W
                multiples of ``downsample_ratio``), or a list of views: one view is used as
                it is, several are concatenated along the batch.
            data_samples (list, optional): Unused.
            active_mask (Tensor, optional): B x 1 x H/r x W/r bool, True at visible cells;
                drawn by the mask generator when None.

        Returns:
            dict[str, Tensor]: ``loss``, the masked-patch reconstruction loss.
        """
        images = self._batch(inputs)
        batch, _, height, width = images.shape
        ratio = self.downsample_ratio
        if height % ratio or width % ratio:
            raise ValueError(f'input size {height} x {width} is not a multiple of the mask '
                             f'cell size (downsample_ratio) {ratio}')
        grid = (height // ratio, width // ratio)
        if active_mask is None:
            active_mask = self.mask_generator(batch, grid, images.device)
        elif tuple(active_mask.shape) != (batch, 1) + grid:
            raise ValueError(f'active_mask must have shape {(batch, 1) + grid}, got '
                             f'{tuple(active_mask.shape)}')
        self._ensure_sparse()

        ctx = self.sparse_context
        with ctx.activate(active_mask):
            masked = images * ctx.active_map(height, width)
            feats = self.backbone(masked)
            self._check_levels(feats, height, width)
            to_decoder = []
            for i, feat in enumerate(reversed(feats)):  # deepest first
                feat = self.densify_norms[i](feat)
                visible = ctx.active_map(*feat.shape[-2:])
                feat = torch.where(visible, feat, self.mask_tokens[i].to(feat.dtype))
                to_decoder.append(self.densify_projs[i](feat))
        reconstruction = self.neck(to_decoder)
        return dict(loss=self.head(reconstruction, images, active_mask))
