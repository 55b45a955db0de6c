# Copyright (c) mmvl contributors. All rights reserved.
from .prompts import (CategoryPrompt, GroundingSafeRandomCrop, SampleExpression,
                      SwapLeftRightOnFlip, has_ordinal)

__all__ = [
    'CategoryPrompt', 'GroundingSafeRandomCrop', 'SampleExpression', 'SwapLeftRightOnFlip',
    'has_ordinal'
]
