# Copyright (c) mmvl contributors. All rights reserved.
from contextlib import contextmanager
from typing import Literal

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmvl.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """Mixed-precision training where mmengine's ``AmpOptimWrapper`` cannot run: on the CPU.

    mmengine 0.10.7's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU/MUSA device, so ``--amp`` would
    fail on a CPU machine. This wrapper runs the forward pass under ``torch.autocast`` with
    bfloat16 and keeps weights, gradients and the optimizer step in float32. bfloat16 has
    float32's exponent range, so no loss scaling is needed (fp16 AMP needs it).

    ``tools/train.py --amp`` selects it automatically when no CUDA device is present.

    Args:
        device_type (str): Autocast device. Defaults to ``'cpu'``.
        dtype (str): Autocast dtype; only ``'bfloat16'`` is supported on the CPU.
            Defaults to ``'bfloat16'``.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 device_type: Literal['cpu', 'cuda'] = 'cpu',
                 dtype: Literal['bfloat16'] = 'bfloat16',
                 **kwargs) -> None:
        if dtype != 'bfloat16':
            raise ValueError(f"dtype must be 'bfloat16', got {dtype!r}")
        if device_type not in ('cpu', 'cuda'):
            raise ValueError(f"device_type must be 'cpu' or 'cuda', got {device_type!r}")
        super().__init__(**kwargs)
        self.device_type = device_type
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type=self.device_type, dtype=self.cast_dtype):
            yield
