# Copyright (c) mmvl contributors. All rights reserved.
from .meta_compositional_sampler import MetaCompositionalSampler
from .multi_source_task_sampler import MultiSourceTaskSampler

__all__ = ['MetaCompositionalSampler', 'MultiSourceTaskSampler']
