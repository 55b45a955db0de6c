# Copyright (c) mmvl contributors. All rights reserved.
from .sword_head import StopGradLinear, SWORDHead

__all__ = ['StopGradLinear', 'SWORDHead']
