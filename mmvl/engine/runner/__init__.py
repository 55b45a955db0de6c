# Copyright (c) mmvl contributors. All rights reserved.
from .checkpoint import (AtomicLocalBackend, UntrustedCheckpointError, is_trusted,
                         load_from_local, sign_checkpoint)
from .cpu_distributed import MMVLDistributedDataParallel, init_cpu_process_group
from .mcres_loop import MCRESTrainLoop, split_batch

__all__ = [
    'AtomicLocalBackend', 'UntrustedCheckpointError', 'is_trusted', 'load_from_local',
    'sign_checkpoint', 'MMVLDistributedDataParallel', 'init_cpu_process_group', 'MCRESTrainLoop',
    'split_batch'
]
