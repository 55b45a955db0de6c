# Copyright (c) mmvl contributors. All rights reserved.
from .dynamic_mask_head import DynamicMaskHead, MaskFeatureFusion
from .object_queue import UniversalObjectQueue
from .prompt_cdn import PromptCdnQueryGenerator
from .vl_align import VLAlign

__all__ = [
    'DynamicMaskHead', 'MaskFeatureFusion', 'PromptCdnQueryGenerator', 'UniversalObjectQueue',
    'VLAlign'
]
