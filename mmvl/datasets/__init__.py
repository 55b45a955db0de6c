# Copyright (c) mmvl contributors. All rights reserved.
from .checks import AnnotationError
from .coco import CocoDataset
from .refcoco import RefCOCODataset
from .samplers import MultiSourceTaskSampler
from .transforms import (CategoryPrompt, GroundingSafeRandomCrop, SampleExpression,
                         SwapLeftRightOnFlip)

__all__ = [
    'AnnotationError', 'CocoDataset', 'RefCOCODataset', 'MultiSourceTaskSampler',
    'CategoryPrompt', 'GroundingSafeRandomCrop', 'SampleExpression', 'SwapLeftRightOnFlip'
]
