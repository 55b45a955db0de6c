# Copyright (c) mmvl contributors. All rights reserved.
from contextlib import ExitStack, contextmanager
from typing import List, Literal, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.utils import apply_to

from mmvl.registry import OPTIM_WRAPPERS


def _to_float32(outputs):
    return apply_to(outputs, lambda x: isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16,
                    lambda x: x.float())


@OPTIM_WRAPPERS.register_module()
class BF16AutocastOptimWrapper(OptimWrapper):
    """Mixed-precision training where mmengine's ``AmpOptimWrapper`` cannot run: on the CPU.

    mmengine 0.10.7's ``AmpOptimWrapper`` asserts a GPU/NPU/MLU/MUSA device, so ``--amp`` would
    fail on a CPU machine. This wrapper runs the forward pass under ``torch.autocast`` with
    bfloat16 and keeps weights, gradients and the optimizer step in float32. bfloat16 has
    float32's exponent range, so no loss scaling is needed (fp16 AMP needs it).

    Some compiled ops have no bfloat16 CPU kernel (mmcv's ``nms`` and ``roi_align``, which
    detectors call in their heads). For such models, ``autocast_modules`` limits autocast to the
    named submodules (e.g. ``['backbone', 'neck']``, where most of the compute is); their bf16
    outputs are cast back to float32 so the rest of the model runs as usual.

    ``tools/train.py --amp`` selects this wrapper when no CUDA device is present, passing the
    config's ``cpu_amp_modules`` if it has one.

    Args:
        autocast_modules (Sequence[str], optional): Names of the submodules (as in
            ``model.named_modules()``) to run under autocast. Defaults to None: the whole model.
        device_type (str): Autocast device. Defaults to ``'cpu'``.
        dtype (str): Autocast dtype; only ``'bfloat16'`` is supported. Defaults to
            ``'bfloat16'``.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 autocast_modules: Optional[Sequence[str]] = None,
                 device_type: Literal['cpu', 'cuda'] = 'cpu',
                 dtype: Literal['bfloat16'] = 'bfloat16',
                 **kwargs) -> None:
        if dtype != 'bfloat16':
            raise ValueError(f"dtype must be 'bfloat16', got {dtype!r}")
        if device_type not in ('cpu', 'cuda'):
            raise ValueError(f"device_type must be 'cpu' or 'cuda', got {device_type!r}")
        super().__init__(**kwargs)
        self.autocast_modules: Optional[List[str]] = (
            None if autocast_modules is None else list(autocast_modules))
        self.device_type = device_type
        self.cast_dtype = torch.bfloat16

    def _autocast(self):
        return torch.autocast(device_type=self.device_type, dtype=self.cast_dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), ExitStack() as stack:
            if self.autocast_modules is None:
                stack.enter_context(self._autocast())
            else:
                self._hook_modules(model, stack)
            yield

    def _hook_modules(self, model: nn.Module, stack: ExitStack) -> None:
        """Enter autocast around each named submodule's forward; removed when ``stack`` closes."""
        modules = dict(model.named_modules())
        # A DDP-wrapped model names its children 'module.<name>'.
        prefix = 'module.' if 'module' in modules and not any(
            n in modules for n in self.autocast_modules) else ''
        for name in self.autocast_modules:
            if prefix + name not in modules:
                raise KeyError(f'autocast_modules: the model has no submodule {name!r}')
            module = modules[prefix + name]
            contexts = []

            def enter(mod, args, contexts=contexts):
                ctx = self._autocast()
                ctx.__enter__()
                contexts.append(ctx)

            def leave(mod, args, output, contexts=contexts):
                contexts.pop().__exit__(None, None, None)
                return _to_float32(output)

            stack.callback(module.register_forward_pre_hook(enter).remove)
            stack.callback(module.register_forward_hook(leave).remove)
