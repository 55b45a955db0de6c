# Copyright (c) mmvl contributors. All rights reserved.
"""A momentum (target) network whose momentum follows BYOL's cosine schedule."""
from math import cos, pi
from typing import Optional

import torch
from mmengine.logging import MessageHub
from mmpretrain.models.utils import CosineEMA
from torch import nn

from mmvl.registry import MODELS


@MODELS.register_module()
class CosineMomentumEMA(CosineEMA):
    r"""mmpretrain's ``CosineEMA``, usable outside a runner and averaging from the first update.

    Update ``k`` (k = 0, 1, ...) sets ``X' <- (1 - a_k) X' + a_k X`` with
    ``a_k = a_end - (a_end - a_0) (cos(pi k / K) + 1) / 2``; in BYOL's notation the momentum is
    ``m_k = 1 - a_k``, so ``momentum=0.01, end_momentum=0`` is m = 0.99 -> 1 (BYOL, MCL).

    Differences from mmpretrain's class, both for MCL:

    - K is ``max_iters`` when given, else the runner's ``max_iters`` from the ``MessageHub``
      (the only source mmpretrain reads), with a clear error when neither exists;
    - the first update averages like every other (mmengine's copies the source instead): the
      owner keeps the copy equal to the source until then (MCL syncs it in ``init_weights``),
      so an update after the optimizer step (the authors' hook) matches their formula from
      step 0 on. Buffers follow the source, as in mmengine (``update_buffers=False``).

    Args:
        model (nn.Module): The online network to average.
        momentum (float): a_0. Defaults to 0.004.
        end_momentum (float): a_end. Defaults to 0.
        max_iters (int, optional): K. Defaults to None (the runner's).
        interval (int): Update every ``interval`` calls. Defaults to 1.
        device (torch.device, optional): Where to keep the copy. Defaults to None.
        update_buffers (bool): Average buffers too. Defaults to False.
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 0.004,
                 end_momentum: float = 0.,
                 max_iters: Optional[int] = None,
                 interval: int = 1,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model, momentum=momentum, end_momentum=end_momentum,
                         interval=interval, device=device, update_buffers=update_buffers)
        self.max_iters = max_iters

    def total_steps(self) -> int:
        """K: ``max_iters`` or the runner's."""
        if self.max_iters is not None:
            return self.max_iters
        max_iters = MessageHub.get_current_instance().get_info('max_iters')
        if max_iters is None:
            raise RuntimeError('CosineMomentumEMA needs the schedule length: pass max_iters, or '
                               "run inside a runner (its MessageHub holds 'max_iters')")
        return max_iters

    def momentum_at(self, step: int) -> float:
        """a_k, the weight of the online parameters at update ``step``."""
        annealing = (cos(pi * step / float(self.total_steps())) + 1) / 2
        return self.end_momentum - (self.end_momentum - self.momentum) * annealing

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor,
                 steps: int) -> None:
        """``averaged <- (1 - a_steps) averaged + a_steps source``, in place."""
        weight = self.momentum_at(steps)
        averaged_param.mul_(1 - weight).add_(source_param, alpha=weight)

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model`` into the copy (every ``interval``-th call) and count the call.

        Args:
            model (nn.Module): The online network, with the same structure as the copy.
        """
        source = model.state_dict() if self.update_buffers else dict(model.named_parameters())
        if int(self.steps) % self.interval == 0:
            for name, averaged in self.avg_parameters.items():
                if averaged.dtype.is_floating_point:
                    self.avg_func(averaged.data, source[name].data.to(averaged.device),
                                  int(self.steps))
        if not self.update_buffers:
            for own, theirs in zip(self.module.buffers(), model.buffers()):
                own.data.copy_(theirs.data.to(own.device))
        self.steps += 1
