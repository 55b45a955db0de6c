# Copyright (c) mmvl contributors. All rights reserved.
from .open_world_metric import OpenWorldMetric

__all__ = ['OpenWorldMetric']
