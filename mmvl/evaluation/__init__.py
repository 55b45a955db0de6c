# Copyright (c) mmvl contributors. All rights reserved.
from .metrics import OpenWorldMetric, ReferringMetric

__all__ = ['OpenWorldMetric', 'ReferringMetric']
