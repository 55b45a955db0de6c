# Copyright (c) mmvl contributors. All rights reserved.
"""Several optimizers over disjoint parameter sets, as one mmengine ``OptimWrapperDict``.

SOHO (CVPR 2021, Sec. 4.1; ``SOHO/optimizers/AdamwSGD.py`` in github.com/researchmm/soho) and
Pixel-BERT (arXiv 2004.00849, Sec. 4.1) train the CNN with SGD (momentum 0.9, lr 1e-2) and
the Transformer and heads with AdamW (lr 1e-4, weight decay 1e-2). The authors fuse both
rules into one optimizer class; here each rule is a stock torch optimizer in its own
``OptimWrapper`` so that mmengine's schedulers, grad clipping and checkpoints work unchanged.
mmengine 0.10.7 ships no multi-optimizer constructor (its runner asks for a custom one), so
this one splits the parameters by name prefix.

A model trained with it must step every wrapper: see :func:`update_params_all`, which
:class:`~mmvl.models.multimodal.grid_vl.GridVLBaseModel` calls in its ``train_step``.
"""
from typing import Dict, Union

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from mmvl.registry import OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS, OPTIMIZERS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ParamPrefixOptimWrapperDictConstructor:
    """Build one ``OptimWrapper`` per named parameter set; return an ``OptimWrapperDict``.

    Example (SOHO's AdamwSGD): ::

        optim_wrapper = dict(
            constructor='ParamPrefixOptimWrapperDictConstructor',
            cnn=dict(prefixes=['encoder.backbone.'],
                     optimizer=dict(type='SGD', lr=1e-2, momentum=0.9, weight_decay=1e-4),
                     clip_grad=dict(max_norm=10.)),
            transformer=dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
                             clip_grad=dict(max_norm=10.)))

    Each entry is an optim wrapper config plus ``prefixes`` (parameter-name prefixes it
    owns). Exactly one entry has no ``prefixes``: it takes every remaining parameter.
    Frozen parameters (``requires_grad=False``) go nowhere.

    Args:
        optim_wrapper_cfg (dict): The entries above, keyed by name.
        paramwise_cfg (dict, optional): Not supported; raises if given.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict = None) -> None:
        if paramwise_cfg:
            raise ValueError('ParamPrefixOptimWrapperDictConstructor takes no paramwise_cfg; '
                             'split parameters with each entry\'s `prefixes`')
        cfg = {k: dict(v) for k, v in optim_wrapper_cfg.items()}
        rest = [k for k, v in cfg.items() if not v.get('prefixes')]
        if len(rest) != 1:
            raise ValueError('exactly one optim wrapper entry must have no `prefixes` (it takes '
                             f'the remaining parameters); got {rest or "none"}')
        for name, entry in cfg.items():
            if 'optimizer' not in entry:
                raise ValueError(f'optim wrapper entry {name!r} has no `optimizer`')
        self.cfg = cfg
        self.rest = rest[0]

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if hasattr(model, 'module'):
            model = model.module
        params: Dict[str, list] = {k: [] for k in self.cfg}
        for pname, param in model.named_parameters():
            if not param.requires_grad:
                continue
            owner = next((k for k, v in self.cfg.items()
                          if any(pname.startswith(p) for p in v.get('prefixes') or ())),
                         self.rest)
            params[owner].append(param)
        wrappers = {}
        for name, entry in self.cfg.items():
            entry = dict(entry)
            entry.pop('prefixes', None)
            if not params[name]:
                raise ValueError(f'optim wrapper entry {name!r} owns no trainable parameter; '
                                 'check its `prefixes`')
            optimizer = OPTIMIZERS.build(dict(entry.pop('optimizer'), params=params[name]))
            entry.setdefault('type', 'OptimWrapper')
            wrappers[name] = OPTIM_WRAPPERS.build(dict(entry, optimizer=optimizer))
        return OptimWrapperDict(**wrappers)


def update_params_all(optim_wrapper: Union[OptimWrapper, OptimWrapperDict],
                      loss: torch.Tensor) -> None:
    """Back-propagate ``loss`` once and step every optimizer (one or a dict of them).

    With an ``OptimWrapperDict`` the loss is scaled by the first wrapper's gradient
    accumulation (all wrappers must use the same ``accumulative_counts``), one backward pass
    fills every parameter's gradient, and each wrapper clips and steps its own parameters
    when its accumulation window is full.
    """
    if not isinstance(optim_wrapper, OptimWrapperDict):  # (a dict is an OptimWrapper too)
        optim_wrapper.update_params(loss)
        return
    wrappers = list(optim_wrapper.values())
    counts = {w._accumulative_counts for w in wrappers}
    if len(counts) != 1:
        raise ValueError(f'all optim wrappers must share accumulative_counts, got {counts}')
    first = wrappers[0]
    first.backward(first.scale_loss(loss))
    for wrapper in wrappers[1:]:
        wrapper._inner_count += 1  # the shared backward pass counts for every wrapper
    for wrapper in wrappers:
        if wrapper.should_update():
            wrapper.step()
            wrapper.zero_grad()
