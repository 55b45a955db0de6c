# Copyright (c) mmvl contributors. All rights reserved.
from .metrics import OpenWorldMetric

__all__ = ['OpenWorldMetric']
