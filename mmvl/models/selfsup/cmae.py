# Copyright (c) mmvl contributors. All rights reserved.
"""CMAE: contrastive masked autoencoders.

"Contrastive Masked Autoencoders are Stronger Vision Learners", Zhicheng Huang, Xiaojie Jin,
Chengze Lu, Qibin Hou, Ming-Ming Cheng, Dongmei Fu, Xiaohui Shen, Jiashi Feng, TPAMI 2023
(arXiv 2207.13532); the authors' code: github.com/ZhichengHuang/CMAE@e786a52
(``cmae/models/algorithms/cmae.py``, ``backbones/cmae_vit.py``, ``heads/cmae_head.py``), read
and re-implemented on mmpretrain parts. One training step (Sec. 3)::

    online view (B x 3 x 224 x 224)             target view (shifted crop + colour aug, Sec. 3.3)
      |                                              |
    online encoder (CMAEViT): 2x2-patch block    target encoder (EMA of the online one, whole
      |  masking, 65 % of units hidden             |  image, no final norm, no gradient)
      +--> pixel decoder (depth 8) -> loss_rc      |  mean over patch tokens
      |    (MAE head: normalised-pixel MSE on      |
      |     masked patches)                        |
      +--> feature decoder (depth 2), mean over    |
           all tokens -> projector                 +--> target projector (EMA)
                  |                                         |
           contrastive head (MoCo v3 head): predictor, L2-norm, InfoNCE (tau 0.07) against
           the all-gathered targets, label = index + B * rank, scaled by 2 tau -> loss_ct

Total loss = loss_rc + loss_ct (both weights 1 in the released configs).

:class:`CMAE` is generic over the parts (CMAE-V reuses it with a video backbone and a video
pixel head): the encoders follow mmpretrain ``MAEViT``'s ``forward(x, mask=True) -> (latent,
mask, ids_restore)``, the decoders ``MAEPretrainDecoder``'s ``forward(latent, ids_restore)``,
the pixel head ``MAEPretrainHead.loss(pred, target_inputs, mask)``, the projector
``NonLinearNeck``'s ``forward((x,)) -> (y,)`` and the contrastive head
``MoCoV3Head.loss(online, target)``. :class:`CMAEViT` is the image encoder.
"""
import copy
from typing import Dict, List, Literal, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models import VisionTransformer
from mmpretrain.models.selfsup import BaseSelfSupervisor, MAEViT
from torch import Tensor, nn

from mmvl.models.utils.ema import CosineMomentumEMA
from mmvl.models.utils.momentum_target import MomentumTargetMixin
from mmvl.registry import MODELS


@MODELS.register_module()
class CMAEViT(MAEViT):
    """ViT encoder of CMAE with block masking (Sec. 3.2; the authors' ``CMAEViT``).

    The h x w patch grid is cut into ``block_size`` x ``block_size`` units numbered row-major;
    each sample keeps the ``int(U * (1 - mask_ratio))`` units with the smallest noise (U units)
    and hides the rest, so masking removes whole units. With ``mask_ratio=0`` nothing is
    hidden and the tokens keep their order: this is the target encoder, which sees the whole
    image. Kept tokens enter the encoder in raster order.

    Args:
        block_size (int): Side of a masking unit in patches. Defaults to 2 (32 x 32 px for
            16 px patches); 1 gives MAE's per-patch masking.
        mask_ratio (float): Share of units hidden, in [0, 1). The released configs use 0.65
            (17 of 49 units kept: 65.3 % of patches hidden). Defaults to 0.65.
        final_norm (bool): Apply the final LayerNorm. The target encoder has none.
            Defaults to True.
        **kwargs: Other ``MAEViT`` arguments (``arch``, ``img_size``, ``patch_size``, ...).
    """

    def __init__(self,
                 block_size: int = 2,
                 mask_ratio: float = 0.65,
                 final_norm: bool = True,
                 **kwargs) -> None:
        if not 0. <= mask_ratio < 1.:
            raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
        if block_size < 1:
            raise ValueError(f'block_size must be a positive integer, got {block_size}')
        super().__init__(mask_ratio=mask_ratio, final_norm=final_norm, **kwargs)
        self.block_size = block_size
        if mask_ratio > 0:
            self.unit_grid(self.patch_resolution)  # the grid must split into whole units

    def unit_grid(self, patch_grid: Tuple[int, int]) -> Tuple[int, int]:
        """Rows and columns of masking units for a patch grid."""
        b = self.block_size
        if patch_grid[0] % b or patch_grid[1] % b:
            raise ValueError(f'the {patch_grid[0]} x {patch_grid[1]} patch grid is not '
                             f'divisible into {b} x {b} masking units')
        return patch_grid[0] // b, patch_grid[1] // b

    def draw_noise(self, batch_size: int, num_units: int, device: torch.device) -> Tensor:
        """Uniform noise per unit (the one random draw of the mask); replaceable in tests."""
        return torch.rand(batch_size, num_units, device=device)

    def block_masking(
            self,
            x: Tensor,
            patch_grid: Tuple[int, int],
            noise: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Hide whole units of patch tokens.

        Args:
            x (Tensor): Patch tokens B x L x C, L = h * w in raster order.
            patch_grid (tuple[int, int]): (h, w).
            noise (Tensor, optional): B x U noise over the row-major units; the units with the
                smallest noise are kept. Drawn by :meth:`draw_noise` when None.

        Returns:
            tuple[Tensor, Tensor, Tensor]:

            - ``x_kept``: B x L_keep x C, the kept tokens in raster order.
            - ``mask``: B x L float, 1 at hidden patches, 0 at kept ones.
            - ``ids_restore``: B x L, the position of each patch in ``[kept, hidden]`` order
              (what ``MAEPretrainDecoder`` needs to put mask tokens back in place).
        """
        batch, length, dim = x.shape
        if self.mask_ratio == 0:
            ids = torch.arange(length, device=x.device).expand(batch, length)
            return x, x.new_zeros(batch, length), ids.clone()
        rows, cols = self.unit_grid(patch_grid)
        units = rows * cols
        keep = int(units * (1 - self.mask_ratio))
        if keep < 1:
            raise ValueError(f'mask_ratio {self.mask_ratio} keeps no unit of {units}')
        if noise is None:
            noise = self.draw_noise(batch, units, x.device)
        elif tuple(noise.shape) != (batch, units):
            raise ValueError(f'noise must have shape {(batch, units)}, got {tuple(noise.shape)}')
        unit_mask = torch.ones(batch, units, device=x.device)
        unit_mask.scatter_(1, noise.argsort(dim=1)[:, :keep], 0.)
        b = self.block_size
        mask = (unit_mask.view(batch, rows, 1, cols, 1).expand(-1, -1, b, -1, b)
                .reshape(batch, length))
        ids_shuffle = mask.argsort(dim=1, stable=True)  # kept (0) first, each in raster order
        ids_restore = ids_shuffle.argsort(dim=1)
        ids_keep = ids_shuffle[:, :keep * b * b]
        x_kept = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, dim))
        return x_kept, mask, ids_restore

    def forward(self,
                x: Tensor,
                mask: Optional[bool] = True,
                noise: Optional[Tensor] = None) -> Union[Tuple[Tensor, Tensor, Tensor], tuple]:
        """Encode the visible tokens (``mask=True``) or the whole image (``mask`` falsy).

        Args:
            x (Tensor): Images B x 3 x H x W.
            mask (bool, optional): Mask (pre-training) or run the plain ViT forward (its
                ``out_type`` outputs, for feature extraction). Defaults to True.
            noise (Tensor, optional): Unit noise, see :meth:`block_masking`.

        Returns:
            With ``mask=True``: ``(latent, mask, ids_restore)``, latent B x (1 + L_keep) x C
            with the cls token first; otherwise the ``VisionTransformer`` outputs.
        """
        if not mask:
            return VisionTransformer.forward(self, x)
        batch, images = x.shape[0], x
        x, patch_grid = self.patch_embed(x)
        if tuple(patch_grid) != tuple(self.patch_resolution):
            raise ValueError(
                f'{type(self).__name__}: the masked forward expects images of '
                f'{self.img_size[0]} x {self.img_size[1]} px (a {self.patch_resolution[0]} x '
                f'{self.patch_resolution[1]} patch grid), got {tuple(images.shape[-2:])} '
                f'(grid {tuple(patch_grid)})')
        x = x + self.pos_embed[:, 1:, :]
        x, patch_mask, ids_restore = self.block_masking(x, patch_grid, noise)
        cls_token = (self.cls_token + self.pos_embed[:, :1, :]).expand(batch, -1, -1)
        x = self.drop_after_pos(torch.cat((cls_token, x), dim=1))
        for layer in self.layers:
            x = layer(x)
        if self.final_norm:
            x = self.ln1(x)
        return x, patch_mask, ids_restore


@MODELS.register_module()
class CMAE(MomentumTargetMixin, BaseSelfSupervisor):
    """CMAE pre-training (Sec. 3): masked reconstruction plus contrast with a momentum target.

    The target branch (target encoder and target projector) is a
    :class:`~mmvl.models.utils.CosineMomentumEMA` copy, by parameter name, of the online
    encoder and projector: the target encoder may lack parameters of the online one (the
    authors' has no final norm) but must not have others. It is set equal to the online
    parameters in ``init_weights`` (as the authors' ``init_weights``), receives no gradient and
    moves only by ``t <- m t + (1 - m) o``. The released configs keep m = 0.996 constant
    (``MomentumUpdateHook(end_momentum=0.996)``), which is ``base_momentum = end_momentum =
    0.004`` here (mmpretrain's ``1 - m`` convention); other values follow BYOL's cosine ramp.

    When the target moves (``target_update``): ``'in_loss'`` updates it inside ``loss()``
    before its forward (mmpretrain's MoCo v3 and BYOL); ``'after_step'`` leaves it to
    ``update_target()`` from ``mmvl.TargetUpdateHook`` after the optimizer step (the authors'
    hook, one iteration more lag); ``loss()`` then refuses to run twice without an update in
    between, so a config that forgets the hook fails instead of training against a frozen
    target.

    Args:
        backbone (dict): Online encoder, e.g. :class:`CMAEViT` with ``mask_ratio=0.65``.
        target_backbone (dict): Target encoder with ``mask_ratio=0`` (sees every token) and
            ``final_norm=False``; its output's first token is a cls token when
            ``target_cls_token``.
        pixel_decoder (dict): ``MAEPretrainDecoder``-like, depth 8 in the paper.
        feature_decoder (dict): ``MAEPretrainDecoder``-like, depth 2 in the paper; its output
            width (``predict_feature_dim``) is the projector's input width.
        projector (dict): ``NonLinearNeck``-like projector (768-1536-256, BN eps 1e-6).
        pixel_head (dict): ``MAEPretrainHead``-like: ``loss(pred, online_inputs, mask)``.
        contrastive_head (dict): ``MoCoV3Head``-like: ``loss(online_proj, target_proj)``
            (predictor, InfoNCE with tau 0.07, all-gathered targets, weight 2 tau).
        base_momentum (float): ``1 - m`` at the start. Defaults to 0.004 (m = 0.996).
        end_momentum (float): ``1 - m`` at the end. Defaults to 0.004 (constant m).
        max_iters (int, optional): Length of the momentum schedule; only read when the two
            momenta differ. Defaults to None (the runner's ``max_iters``).
        target_update (str): ``'in_loss'`` or ``'after_step'``. Defaults to ``'in_loss'``.
        target_cls_token (bool): The target encoder's first output token is a cls token,
            left out of the mean (the authors' ``target_cls=True``). Defaults to True.
        pretrained (str, optional): Checkpoint to load. Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``SelfSupDataPreprocessor``.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 target_backbone: dict,
                 pixel_decoder: dict,
                 feature_decoder: dict,
                 projector: dict,
                 pixel_head: dict,
                 contrastive_head: dict,
                 base_momentum: float = 0.004,
                 end_momentum: float = 0.004,
                 max_iters: Optional[int] = None,
                 target_update: Literal['in_loss', 'after_step'] = 'in_loss',
                 target_cls_token: bool = True,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        for name, value in (('base_momentum', base_momentum), ('end_momentum', end_momentum)):
            if not 0. <= value <= 1.:
                raise ValueError(f'{name} (1 - m) must be in [0, 1], got {value}')
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'mmpretrain.SelfSupDataPreprocessor')
        super().__init__(
            backbone=MODELS.build(backbone),
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.pixel_decoder = MODELS.build(pixel_decoder)
        self.feature_decoder = MODELS.build(feature_decoder)
        self.projector = MODELS.build(projector)
        self.pixel_head = MODELS.build(pixel_head)
        self.contrastive_head = MODELS.build(contrastive_head)
        self.init_target_update(target_update)
        self.target_cls_token = target_cls_token
        target = nn.ModuleDict(
            dict(backbone=MODELS.build(target_backbone), projector=copy.deepcopy(self.projector)))
        self._check_target_names(target)
        # constant momentum needs no schedule length; give one so no runner is required
        if max_iters is None and base_momentum == end_momentum:
            max_iters = 1
        self.target = CosineMomentumEMA(
            target, momentum=base_momentum, end_momentum=end_momentum, max_iters=max_iters)

    @property
    def online_net(self) -> nn.ModuleDict:
        """Online encoder and projector under the target's names (shares their parameters)."""
        return nn.ModuleDict(dict(backbone=self.backbone, projector=self.projector))

    def _check_target_names(self, target: nn.Module) -> None:
        """Every target parameter and buffer has an online twin of the same name and shape."""
        online = dict(self.online_net.named_parameters())
        online_buffers = [(n, b.shape) for n, b in self.online_net.named_buffers()]
        bad = [n for n, p in target.named_parameters()
               if n not in online or online[n].shape != p.shape]
        if bad:
            raise ValueError('CMAE: target parameters without an online twin of the same name '
                             f'and shape (the EMA pairs them by name): {bad[:5]}')
        if [(n, b.shape) for n, b in target.named_buffers()] != online_buffers:
            raise ValueError('CMAE: the target encoder and projector must have the same '
                             'buffers as the online ones (the EMA copies them in order)')

    def init_weights(self) -> None:
        """Initialise the online branch, then copy its parameters into the target."""
        super().init_weights()
        online = dict(self.online_net.named_parameters())
        with torch.no_grad():
            for name, param in self.target.module.named_parameters():
                param.copy_(online[name])

    @staticmethod
    def _views(inputs: Union[Sequence[Tensor], Tensor]) -> Tuple[Tensor, Tensor]:
        if isinstance(inputs, Tensor) or len(inputs) != 2:
            raise ValueError('CMAE.loss needs inputs=[online_view, target_view] (the two views '
                             'of PixelShiftTwoView), got '
                             + (f'a tensor of shape {tuple(inputs.shape)}'
                                if isinstance(inputs, Tensor) else f'{len(inputs)} views'))
        online, target = inputs
        if online.shape != target.shape:
            raise ValueError(f'the online view {tuple(online.shape)} and the target view '
                             f'{tuple(target.shape)} differ in shape')
        return online, target

    def extract_feat(self, inputs: Union[Tensor, Sequence[Tensor]]):
        """Online encoder features of whole images (``backbone(x, mask=None)``).

        Args:
            inputs (Tensor or list[Tensor]): Images, or views of which the first (online) is
                used.

        Returns:
            The backbone's unmasked outputs.
        """
        if not isinstance(inputs, Tensor):
            inputs = inputs[0]
        return self.backbone(inputs, mask=None)

    @torch.no_grad()
    def embed_target(self, target_view: Tensor) -> Tensor:
        """Target projection: target encoder on the whole view, mean over patch tokens.

        Args:
            target_view (Tensor): B x ... target images.

        Returns:
            Tensor: B x D projections (no gradient).
        """
        latent = self.target.module.backbone(target_view)[0]
        if self.target_cls_token:
            latent = latent[:, 1:]
        return self.target.module.projector([latent.mean(dim=1)])[0]

    def loss(self, inputs: Sequence[Tensor], data_samples: Optional[list] = None,
             **kwargs) -> Dict[str, Tensor]:
        """Reconstruction and contrastive losses of one batch of view pairs.

        Args:
            inputs (list[Tensor]): ``[online_view, target_view]``, each B x ... (normalised).
            data_samples (list, optional): Unused.

        Returns:
            dict[str, Tensor]: ``loss_rc`` (masked normalised-pixel MSE), ``loss_ct``
            (InfoNCE x 2 tau), and the logged ``momentum`` (m of the next update).
        """
        online_view, target_view = self._views(inputs)
        self.before_target_forward()

        latent, mask, ids_restore = self.backbone(online_view)
        pixels = self.pixel_decoder(latent, ids_restore)
        loss_rc = self.pixel_head.loss(pixels, online_view, mask)

        features = self.feature_decoder(latent, ids_restore)  # B x L x D, mean over all tokens
        online_proj = self.projector([features.mean(dim=1)])[0]
        target_proj = self.embed_target(target_view)
        loss_ct = self.contrastive_head.loss(online_proj, target_proj)
        return dict(
            loss_rc=loss_rc, loss_ct=loss_ct, momentum=torch.tensor(self.current_momentum()))
