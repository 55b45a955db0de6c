# Copyright (c) mmvl contributors. All rights reserved.
from .checks import AnnotationError
from .coco import CocoDataset

__all__ = ['AnnotationError', 'CocoDataset']
