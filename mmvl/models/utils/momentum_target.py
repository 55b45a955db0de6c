# Copyright (c) mmvl contributors. All rights reserved.
"""When a momentum target network moves: inside ``loss()`` or after the optimizer step."""
from typing import Literal

import torch

TARGET_UPDATES = ('in_loss', 'after_step')


class MomentumTargetMixin:
    """The target-update timing shared by models with an EMA target (MCL, CMAE).

    ``'in_loss'`` updates the target inside ``loss()`` before its forward (mmpretrain's BYOL
    and MoCo v3). ``'after_step'`` leaves it to :meth:`update_target`, called by
    ``mmvl.TargetUpdateHook`` after the optimizer step (the authors' ``BYOLHook`` /
    ``MomentumUpdateHook``, one iteration more lag); ``loss()`` then refuses to run twice
    without an update in between, so a config that forgets the hook fails instead of training
    against a frozen target.

    A model using it keeps its :class:`~mmvl.models.utils.CosineMomentumEMA` in the attribute
    named by ``target_ema_name``, offers ``online_net`` (the modules the EMA averages), calls
    :meth:`init_target_update` in ``__init__`` and :meth:`before_target_forward` at the start
    of ``loss()``.
    """

    target_ema_name = 'target'

    def init_target_update(self, target_update: Literal['in_loss', 'after_step']) -> None:
        """Check and store ``target_update``."""
        if target_update not in TARGET_UPDATES:
            raise ValueError(f'target_update must be one of {TARGET_UPDATES}, got '
                             f'{target_update!r}')
        self.target_update = target_update
        self._awaiting_target_update = False

    @property
    def target_ema(self):
        """The EMA copy of ``online_net``."""
        return getattr(self, self.target_ema_name)

    @torch.no_grad()
    def update_target(self) -> None:
        """One EMA step of the target towards ``online_net``."""
        self.target_ema.update_parameters(self.online_net)
        self._awaiting_target_update = False

    def current_momentum(self) -> float:
        """m (BYOL notation) of the target's next update."""
        return 1. - self.target_ema.momentum_at(int(self.target_ema.steps))

    def before_target_forward(self) -> None:
        """Move the target now (``'in_loss'``) or check that the hook moved it (``'after_step'``)."""
        if not self.training:
            return
        if self.target_update == 'in_loss':
            self.update_target()
            return
        if self._awaiting_target_update:
            name = type(self).__name__
            raise RuntimeError(
                f"{name}(target_update='after_step'): the target was not updated since the "
                "last loss(); add dict(type='mmvl.TargetUpdateHook') to custom_hooks (or call "
                'update_target() after each optimizer step)')
        self._awaiting_target_update = True
