# Copyright (c) mmvl contributors. All rights reserved.
"""MCL: Multi-Level Contrastive Learning for dense prediction.

"Multi-Level Contrastive Learning for Dense Prediction Task", Qiushan Guo, Yizhou Yu, Yi
Jiang, Jiannan Wu, Zehuan Yuan, Ping Luo, arXiv 2304.02010. Official code (OpenSelfSup):
github.com/GuoQiushan/MCL@1912aa9 (``openselfsup/models/mcl.py``, ``necks.py``,
``heads/latent_pred_head.py``, ``configs/selfsup/MCL/MCL.py``), read and re-implemented.

The pretext task tiles down-sampled views of the batch into montages at four scales
(:mod:`mmvl.models.data_preprocessors.mcl_montage`) and asks every sub-image, embedded from
the FPN level that matches its scale, to find its source image among the whole-image
embeddings of the momentum network::

    query set (levels 0-3 from views 0-3)        key set (levels 0-3 from views 4-7)
        |                                            |
    online: ResNet -> FPN -> MCLRegionNeck       target (EMA): ResNet -> FPN -> MCLRegionNeck
        |  level i read at FPN output -(i+1)         |  level 0 only (P5, one cell per image)
        |  (P5 for whole images ... P2 for 8x8)      |  L2-normalised, all-gathered
    MCLHead: predictor_i, L2-norm, cosine logits vs the other set's targets, CE(logits / T)
             * 2T * w_i with the source image as label; both directions: 8 terms.

Reused: mmpretrain ``BaseSelfSupervisor``, ``ResNet``, ``NonLinearNeck`` (predictors),
mmdet ``FPN``; new: :class:`MCLRegionNeck`, :class:`MCLHead`, the montage preprocessor and
:class:`CosineMomentumEMA`.
"""
from typing import Dict, List, Literal, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank
from mmengine.model import BaseModule
from mmpretrain.models.selfsup import BaseSelfSupervisor
from torch import Tensor, nn

from mmvl.models.data_preprocessors.mcl_montage import MontagePyramid
from mmvl.models.utils.ema import CosineMomentumEMA
from mmvl.models.utils.momentum_target import MomentumTargetMixin
from mmvl.registry import MODELS


@MODELS.register_module()
class MCLHead(BaseModule):
    """MCL's multi-level contrastive loss (the authors' ``LatentMultiPredictContrastHead``).

    For level i with online cell embeddings ``z`` (N_i x C) and whole-image targets ``t`` of
    the other view set (B x C on this rank; gathered over ranks to B_all x C):

    - ``p = normalize(predictor_i(z))``, ``t = normalize(t)``;
    - ``logits = p t^T`` (cosines, N_i x B_all), ``label`` = the source image index of the
      cell plus ``B * rank``;
    - ``loss_i = CE(logits / T, label) * 2T * w_i``.

    Negatives are the other images of the global batch (no queue). The mean positive and
    negative cosines are logged as the authors do (``pos_cos_level{i}``, ``neg_cos_level{i}``).

    Args:
        predictor (dict): Config of one predictor; one is built per level. The authors' is
            ``NonLinearNeckV2``: Linear(C, 2048) + BN + ReLU + Linear(2048, C), both linears
            with bias (mmpretrain ``NonLinearNeck`` with ``with_bias=True``,
            ``with_last_bias=True``, ``with_last_bn=False``, ``with_avg_pool=False``).
        level_weights (Sequence[float]): w_i per level. Defaults to (1/2, 1/4, 1/8, 1/8).
        temperature (float): T. Defaults to 1.0.
        init_cfg (dict or list[dict], optional): Defaults to the authors' ``normal`` init of
            the predictors (linear weights N(0, 0.01), biases 0).
    """

    def __init__(self,
                 predictor: dict,
                 level_weights: Sequence[float] = (1 / 2, 1 / 4, 1 / 8, 1 / 8),
                 temperature: float = 1.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if init_cfg is None:
            init_cfg = [
                dict(type='Normal', layer='Linear', std=0.01, bias=0.),
                dict(type='Constant', val=1, layer=['_BatchNorm'])
            ]
        super().__init__(init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        self.level_weights = tuple(float(w) for w in level_weights)
        self.temperature = float(temperature)
        self.predictors = nn.ModuleList(
            MODELS.build(predictor) for _ in range(len(self.level_weights)))

    @property
    def num_levels(self) -> int:
        return len(self.level_weights)

    def loss(self, online: Sequence[Tensor], targets: Tensor,
             labels: Sequence[Tensor]) -> Dict[str, Tensor]:
        """The per-level losses of one direction.

        Args:
            online (Sequence[Tensor]): Per level, the online cell embeddings (N_i, C).
            targets (Tensor): The other set's whole-image target embeddings on this rank,
                (B, C), without gradient.
            labels (Sequence[Tensor]): Per level, the source image (0..B-1) of every cell,
                (N_i,).

        Returns:
            dict[str, Tensor]: ``loss_level{i}``, ``pos_cos_level{i}``, ``neg_cos_level{i}``.
        """
        if len(online) != self.num_levels or len(labels) != self.num_levels:
            raise ValueError(f'MCLHead has {self.num_levels} levels, got {len(online)} '
                             f'embeddings and {len(labels)} label sets')
        targets = F.normalize(targets.detach(), dim=1)
        offset = targets.size(0) * get_rank()
        targets = torch.cat(all_gather(targets), dim=0)
        losses = {}
        for i, (emb, label, weight) in enumerate(zip(online, labels, self.level_weights)):
            pred = F.normalize(self.predictors[i]((emb, ))[0], dim=1)
            logits = pred @ targets.t()
            label = label + offset
            losses[f'loss_level{i}'] = F.cross_entropy(
                logits / self.temperature, label) * (2 * self.temperature) * weight
            with torch.no_grad():
                positive = logits.gather(1, label[:, None])
                losses[f'pos_cos_level{i}'] = positive.mean()
                losses[f'neg_cos_level{i}'] = (logits.sum() - positive.sum()) / (
                    logits.numel() - positive.numel())
        return losses


@MODELS.register_module()
class MCL(MomentumTargetMixin, BaseSelfSupervisor):
    """MCL pre-training: online/target ResNet + FPN + region neck, multi-level contrast.

    ``neck`` must build to ``[FPN, MCLRegionNeck]`` (an ``nn.Sequential``, as mmengine builds
    a list); the FPN gives one output per pyramid level, P2..P5 (``num_outs=4``). Level i of
    the pyramid is read at FPN output ``-(i+1)``: with canvas S and ratio ``2^i`` the map is
    ``2^i S / 32`` wide, so each sub-image owns one ``S/32 x S/32`` cell.

    Options beyond the authors' code, both off by default:

    - ``slice_first``: the region neck embeds only the cells the loss uses (each level's
      montages at its own FPN output; level 0's P5 only in the target). The authors embed
      every cell of every FPN output for every canvas and slice afterwards, which costs much
      more and sets the neck's BN statistics over all of them; changing it moves the losses
      (by up to about 0.06 on their code). Backbone and FPN see the whole pyramid either way.
    - ``target_update``: ``'in_loss'`` updates the target inside ``loss()`` before its forward
      (mmpretrain's BYOL / MoCo v3); ``'after_step'`` leaves it to ``update_target()`` called by
      ``mmvl.TargetUpdateHook`` after the optimizer step (the authors' ``BYOLHook``, one
      iteration more lag); ``loss()`` then refuses to run twice without an update in between,
      so a config that forgets the hook fails instead of training against a frozen target.

    Args:
        backbone (dict): ResNet config (``out_indices=(0, 1, 2, 3)``).
        neck (list[dict]): ``[FPN, MCLRegionNeck]`` configs.
        head (dict): :class:`MCLHead` config.
        base_momentum (float): ``1 - m`` at the start (BYOL convention of mmpretrain's
            ``CosineEMA``). Defaults to 0.01 (m = 0.99).
        end_momentum (float): ``1 - m`` at the end. Defaults to 0 (m = 1).
        max_iters (int, optional): Length of the momentum schedule. Defaults to None (the
            runner's ``max_iters``).
        target_update (str): ``'in_loss'`` or ``'after_step'``. Defaults to ``'in_loss'``.
        slice_first (bool): See above. Defaults to False.
        pretrained (str, optional): Checkpoint to load. Defaults to None.
        data_preprocessor (dict, optional): Defaults to ``MCLDataPreprocessor``.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    target_ema_name = 'target_net'

    def __init__(self,
                 backbone: dict,
                 neck: List[dict],
                 head: dict,
                 base_momentum: float = 0.01,
                 end_momentum: float = 0.,
                 max_iters: Optional[int] = None,
                 target_update: Literal['in_loss', 'after_step'] = 'in_loss',
                 slice_first: bool = False,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'mmvl.MCLDataPreprocessor')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not isinstance(self.neck, nn.Sequential) or len(self.neck) != 2:
            raise TypeError('MCL needs neck=[FPN, MCLRegionNeck], got '
                            f'{type(self.neck).__name__}')
        self.init_target_update(target_update)
        self.slice_first = slice_first
        self.target_net = CosineMomentumEMA(
            nn.Sequential(self.backbone, self.neck),
            momentum=base_momentum,
            end_momentum=end_momentum,
            max_iters=max_iters)

    @property
    def online_net(self) -> nn.Sequential:
        """Backbone, FPN and region neck of the online branch (shares their parameters)."""
        return nn.Sequential(self.backbone, self.neck)

    def init_weights(self) -> None:
        """Initialise the online network, then make the target an exact copy of it."""
        super().init_weights()
        target = self.target_net.module
        for own, source in zip(target.state_dict().values(), self.online_net.state_dict().values()):
            own.copy_(source)

    def extract_feat(self, inputs: Union[Tensor, Sequence[Tensor], MontagePyramid]):
        """Backbone features of the online branch (what a downstream model inherits).

        Args:
            inputs (Tensor | Sequence[Tensor] | MontagePyramid): Images (N, C, H, W); a list
                of views, as ``MCLDataPreprocessor`` returns outside training, concatenated
                along the batch; or a pyramid, whose query then key canvases are used.

        Returns:
            tuple[Tensor]: The backbone's outputs.
        """
        if isinstance(inputs, MontagePyramid):
            inputs = [inputs.query, inputs.key]
        if isinstance(inputs, (list, tuple)):
            if not inputs or not all(isinstance(v, Tensor) for v in inputs):
                raise TypeError('MCL.extract_feat needs a tensor or a list of view tensors, got '
                                f'{[type(v).__name__ for v in inputs]}')
            inputs = torch.cat(list(inputs))
        return self.backbone(inputs)

    def embed(self, net: nn.Sequential, images: Tensor, pyramid: MontagePyramid,
              levels: Sequence[int]) -> List[Tensor]:
        """Cell embeddings of the requested pyramid levels.

        Args:
            net (nn.Sequential): ``(backbone, Sequential(FPN, MCLRegionNeck))``, online or
                target.
            images (Tensor): One view set of ``pyramid``, (sum(n_i), C, S, S).
            pyramid (MontagePyramid): Its layout.
            levels (Sequence[int]): The levels to return.

        Returns:
            list[Tensor]: Per requested level i, (n_i * r_i^2, C_out), montage-major then
            row-major, i.e. aligned with ``pyramid.query_sources[i]``.
        """
        backbone, (fpn, region_neck) = net[0], net[1]
        maps = fpn(backbone(images))
        if len(maps) < max(levels) + 1:
            raise ValueError(f'the FPN gives {len(maps)} outputs for {max(levels) + 1} levels')
        if self.slice_first:
            cells = region_neck([maps[-(i + 1)][pyramid.level_slice(i)] for i in levels])
        else:
            every = region_neck(maps)
            cells = [every[-(i + 1)][pyramid.level_slice(i)] for i in levels]
        outs = []
        for i, level_cells in zip(levels, cells):
            ratio = pyramid.ratios[i]
            if level_cells.size(1) != ratio**2:
                raise ValueError(
                    f'level {i} ({ratio}x{ratio} montages) reads FPN output {-(i + 1)}, which '
                    f'has {level_cells.size(1)} cells per canvas: the canvas size, the FPN '
                    'levels and the region neck cell_size (canvas / 32) do not match')
            outs.append(level_cells.flatten(0, 1))
        return outs

    def loss(self, inputs: MontagePyramid, data_samples: Optional[list] = None,
             **kwargs) -> Dict[str, Tensor]:
        """The 8 weighted contrastive terms (4 levels x 2 directions).

        Args:
            inputs (MontagePyramid): From :class:`MCLDataPreprocessor` in training mode.
            data_samples (list, optional): Unused.

        Returns:
            dict[str, Tensor]: ``loss_level{i}_{q,k}`` (optimised), the logged
            ``pos_cos_level{i}_{q,k}``, ``neg_cos_level{i}_{q,k}`` and ``momentum`` (m of the
            target's next update).
        """
        if not isinstance(inputs, MontagePyramid):
            raise TypeError('MCL.loss needs the MontagePyramid of MCLDataPreprocessor (training '
                            f'mode), got {type(inputs).__name__}')
        self.before_target_forward()
        if len(inputs.ratios) != self.head.num_levels:
            raise ValueError(f'the pyramid has {len(inputs.ratios)} levels, the head '
                             f'{self.head.num_levels}')
        levels = range(self.head.num_levels)
        online_q = self.embed(self.online_net, inputs.query, inputs, levels)
        online_k = self.embed(self.online_net, inputs.key, inputs, levels)
        with torch.no_grad():
            target_q = self.embed(self.target_net.module, inputs.query, inputs, [0])[0]
            target_k = self.embed(self.target_net.module, inputs.key, inputs, [0])[0]
        losses = {}
        for direction, online, targets, labels in (('q', online_q, target_k,
                                                    inputs.query_sources),
                                                   ('k', online_k, target_q, inputs.key_sources)):
            for name, value in self.head.loss(online, targets, labels).items():
                losses[f'{name}_{direction}'] = value
        losses['momentum'] = torch.tensor(self.current_momentum())
        return losses
