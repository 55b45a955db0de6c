# Copyright (c) mmvl contributors. All rights reserved.
"""Update a model's momentum target network after each optimizer step."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmvl.registry import HOOKS


@HOOKS.register_module()
class TargetUpdateHook(Hook):
    """Call ``model.update_target()`` after every training iteration.

    OpenSelfSup's ``BYOLHook`` (used by MCL, github.com/GuoQiushan/MCL@1912aa9) updates the
    momentum encoder after the optimizer step; mmpretrain's BYOL and MoCo v3 update it inside
    ``loss()`` before the target forward instead. Models that offer both (``MCL`` with
    ``target_update='after_step'``) need this hook for the authors' order. It updates after
    every iteration, as the authors' ``update_interval=1``; with gradient accumulation the
    target would also move on iterations without an optimizer step.
    """

    priority = 'NORMAL'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'update_target'):
            raise TypeError(f'TargetUpdateHook: {type(model).__name__} has no update_target()')
        model.update_target()
