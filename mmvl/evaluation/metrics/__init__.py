# Copyright (c) mmvl contributors. All rights reserved.
from .open_world_metric import OpenWorldMetric
from .referring_metric import ReferringMetric

__all__ = ['OpenWorldMetric', 'ReferringMetric']
