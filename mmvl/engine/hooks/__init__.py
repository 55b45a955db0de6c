# Copyright (c) mmvl contributors. All rights reserved.
from .target_update_hook import TargetUpdateHook  # noqa: F401
