# Copyright (c) mmvl contributors. All rights reserved.
from .multi_source_task_sampler import MultiSourceTaskSampler

__all__ = ['MultiSourceTaskSampler']
