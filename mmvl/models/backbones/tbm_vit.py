# Copyright (c) mmvl contributors. All rights reserved.
"""ViT backbones with Token Boosting Modules between their encoder layers.

TBM (Li et al., CVPR 2023, arXiv 2304.04175, Sec. 3.3) inserts Token Boosting Modules at several
layers of the Visual Transformer pre-trained by MAE; the boosted tokens R_hat feed the next
layer. :class:`TBMViT` is mmpretrain's ``MAEViT`` (masked pre-training) with TBMs;
:class:`TBMVisionTransformer` is mmpretrain's ``VisionTransformer`` (no masking: linear probe,
fine-tuning, feature extraction) with the same TBMs, so a pre-training checkpoint loads into it
strictly (``tools/model_converters/selfsup_to_backbone.py``). A plain ``VisionTransformer``
loads the same checkpoint with the ``tbms.*`` keys left unused (TBM removed downstream).

Each TBM runs as a forward hook of its encoder layer (``tbm_position='after'``: on the layer's
output; ``'before'``: on its input), so both the masked forward of ``MAEViT`` and the forward of
``VisionTransformer`` (with ``out_indices``, final norm and output types) see the boosted tokens
without a copy of those forwards, and the encoder keeps ``VisionTransformer``'s key names; the
TBMs live under ``tbms.<layer index>``.
"""
from functools import partial
from typing import Literal, Optional, Sequence

from mmpretrain.models import MAEViT, VisionTransformer
from torch import nn

from mmvl.registry import MODELS


class TokenBoostingMixin:
    """Inserts TBMs at chosen encoder layers of an mmpretrain ``VisionTransformer``."""

    def _insert_token_boosting(self, tbm_layers: Sequence[int], tbm_cfg: Optional[dict],
                               tbm_position: str) -> None:
        num_layers = len(self.layers)
        layers = tuple(int(i) for i in tbm_layers)
        bad = [i for i in layers if not 0 <= i < num_layers]
        if bad or len(set(layers)) != len(layers):
            raise ValueError(f'tbm_layers must be distinct encoder layer indices in '
                             f'[0, {num_layers}); got {tuple(tbm_layers)}')
        if tbm_position not in ('after', 'before'):
            raise ValueError(f"tbm_position must be 'after' or 'before', got {tbm_position!r}")
        cfg = dict(type='mmvl.TokenBoostingModule', embed_dims=self.embed_dims)
        cfg.update(tbm_cfg or {})
        self.tbm_layers = tuple(sorted(layers))
        self.tbm_position = tbm_position
        self.tbms = nn.ModuleDict({str(i): MODELS.build(cfg) for i in self.tbm_layers})
        for i in self.tbm_layers:
            if tbm_position == 'after':
                self.layers[i].register_forward_hook(partial(self._boost_output, str(i)))
            else:
                self.layers[i].register_forward_pre_hook(partial(self._boost_input, str(i)))

    def init_weights(self) -> None:
        """The ViT's init, then each TBM's own (``ModuleDict`` children are not reached by
        ``BaseModule.init_weights``), unless the backbone loads pre-trained weights."""
        super().init_weights()
        init_cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        if not any(isinstance(c, dict) and c.get('type') == 'Pretrained' for c in init_cfgs):
            for tbm in self.tbms.values():
                tbm.init_weights()

    def _boost_output(self, key, module, args, output):
        return self.tbms[key](output)

    def _boost_input(self, key, module, args):
        return (self.tbms[key](args[0]), *args[1:])

    def get_layer_depth(self, param_name: str, prefix: str = ''):
        """``VisionTransformer.get_layer_depth``, with ``tbms.<i>`` at the depth of layer i."""
        name = param_name[len(prefix):] if param_name.startswith(prefix) else None
        if name is not None and name.startswith('tbms.'):
            return int(name.split('.')[1]) + 1, self.num_layers + 2
        return super().get_layer_depth(param_name, prefix)


@MODELS.register_module()
class TBMViT(TokenBoostingMixin, MAEViT):
    """``MAEViT`` with Token Boosting Modules, for MAE pre-training (TBM, Sec. 3).

    Args:
        tbm_layers (Sequence[int]): Indices (0-based) of the encoder layers that get a TBM.
        tbm_cfg (dict, optional): Arguments of each :class:`TokenBoostingModule` (its
            ``embed_dims`` is the ViT's). Defaults to None (the module's defaults).
        tbm_position (str): ``'after'`` boosts a layer's output (fed to the next layer, Fig. 2),
            ``'before'`` its input. Defaults to ``'after'``.
        **kwargs: ``MAEViT`` arguments (``arch``, ``img_size``, ``patch_size``,
            ``mask_ratio``, ...).
    """

    def __init__(self,
                 tbm_layers: Sequence[int],
                 tbm_cfg: Optional[dict] = None,
                 tbm_position: Literal['after', 'before'] = 'after',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._insert_token_boosting(tbm_layers, tbm_cfg, tbm_position)


@MODELS.register_module()
class TBMVisionTransformer(TokenBoostingMixin, VisionTransformer):
    """``VisionTransformer`` with Token Boosting Modules: the downstream form of :class:`TBMViT`.

    TBMs of frozen stages (``frozen_stages``: a TBM at layer i belongs to stage i + 1) are frozen
    and kept in eval mode, so a linear probe neither trains them nor draws their noise.

    Args:
        tbm_layers (Sequence[int]): Indices (0-based) of the encoder layers that get a TBM.
        tbm_cfg (dict, optional): Arguments of each :class:`TokenBoostingModule`. Defaults to
            None.
        tbm_position (str): ``'after'`` or ``'before'`` the layer. Defaults to ``'after'``.
        **kwargs: ``VisionTransformer`` arguments.
    """

    def __init__(self,
                 tbm_layers: Sequence[int],
                 tbm_cfg: Optional[dict] = None,
                 tbm_position: Literal['after', 'before'] = 'after',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._insert_token_boosting(tbm_layers, tbm_cfg, tbm_position)
        for tbm in self._frozen_tbms():
            for param in tbm.parameters():
                param.requires_grad = False
        self.train()

    def _frozen_tbms(self):
        if not hasattr(self, 'tbms'):  # during VisionTransformer.__init__
            return []
        return [self.tbms[str(i)] for i in self.tbm_layers if i + 1 <= self.frozen_stages]

    def train(self, mode: bool = True):
        super().train(mode)
        for tbm in self._frozen_tbms():
            tbm.eval()
        return self
