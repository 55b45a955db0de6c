# Copyright (c) mmvl contributors. All rights reserved.
from .checkpoint import (AtomicLocalBackend, UntrustedCheckpointError, is_trusted,
                         load_from_local, sign_checkpoint)

__all__ = [
    'AtomicLocalBackend', 'UntrustedCheckpointError', 'is_trusted', 'load_from_local',
    'sign_checkpoint'
]
