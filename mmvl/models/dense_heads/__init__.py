# Copyright (c) mmvl contributors. All rights reserved.
from .sword_head import StopGradLinear, SWORDHead
from .uninext_head import UNINEXTHead, dn_positive_indices

__all__ = ['StopGradLinear', 'SWORDHead', 'UNINEXTHead', 'dn_positive_indices']
