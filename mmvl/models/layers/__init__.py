# Copyright (c) mmvl contributors. All rights reserved.
from .dynamic_mask_head import DynamicMaskHead, MaskFeatureFusion
from .object_queue import UniversalObjectQueue

__all__ = ['DynamicMaskHead', 'MaskFeatureFusion', 'UniversalObjectQueue']
