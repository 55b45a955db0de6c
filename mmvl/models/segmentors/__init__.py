# Copyright (c) mmvl contributors. All rights reserved.
from .lavt import LAVT, LanguageGate, LAVTDecoder, PixelWordAttention

__all__ = ['LAVT', 'LanguageGate', 'LAVTDecoder', 'PixelWordAttention']
