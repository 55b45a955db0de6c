# Copyright (c) mmvl contributors. All rights reserved.
"""Distributed training on CPUs (gloo), which mmengine 0.10.7's launch path does not allow.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` for the PyTorch and Slurm launchers,
and its runner wraps the model with ``device_ids=[LOCAL_RANK]``, which
``DistributedDataParallel`` rejects for a CPU module. mmvl therefore starts the process group
itself when there is no CUDA device (the runner then skips its own ``init_dist``) and wraps the
model with :class:`MMVLDistributedDataParallel`.
"""
import os
import subprocess
from typing import Literal

import torch.distributed as torch_dist
from mmengine.model import MMDistributedDataParallel

from mmvl.registry import MODEL_WRAPPERS


def init_cpu_process_group(launcher: Literal['pytorch', 'slurm'],
                           backend: str = 'gloo',
                           port: int = 29500) -> None:
    """Start the default process group on CPUs from the launcher's environment variables.

    Args:
        launcher (str): ``'pytorch'`` (torchrun sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
            ``MASTER_ADDR``, ``MASTER_PORT``) or ``'slurm'`` (derived from ``SLURM_*``).
        backend (str): Process group backend. Defaults to ``'gloo'``.
        port (int): Master port for Slurm when ``MASTER_PORT`` is unset. Defaults to 29500.
    """
    if torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        nodes = subprocess.getoutput(
            f"scontrol show hostname {os.environ['SLURM_NODELIST']} | head -n1")
        os.environ.setdefault('MASTER_ADDR', nodes)
        os.environ.setdefault('MASTER_PORT', str(port))
        os.environ['RANK'] = os.environ['SLURM_PROCID']
        os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
        os.environ['LOCAL_RANK'] = os.environ['SLURM_LOCALID']
    elif launcher != 'pytorch':
        raise ValueError(f"CPU distributed runs support launcher 'pytorch' or 'slurm', "
                         f'got {launcher!r}')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher {launcher} needs the environment variables {missing}; '
                           'start the job with tools/dist_train.sh (torchrun) or srun')
    torch_dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']))


@MODEL_WRAPPERS.register_module()
class MMVLDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper that also accepts a CPU module.

    mmengine's runner passes ``device_ids=[LOCAL_RANK]``; for a module whose parameters are on
    the CPU, ``DistributedDataParallel`` needs ``device_ids=None``, so it is dropped there.
    """

    def __init__(self, module, device_ids=None, **kwargs) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(module=module, device_ids=None if on_cpu else device_ids, **kwargs)
