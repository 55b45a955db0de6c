# Copyright (c) mmvl contributors. All rights reserved.
from .dynamic_k_assigner import DynamicKAssigner

__all__ = ['DynamicKAssigner']
