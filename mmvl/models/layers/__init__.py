# Copyright (c) mmvl contributors. All rights reserved.
from .dynamic_mask_head import DynamicMaskHead, MaskFeatureFusion
from .object_queue import UniversalObjectQueue
from .prompt_cdn import PromptCdnQueryGenerator
from .sparse_modules import SparseContext, sparsify
from .vl_align import VLAlign

__all__ = [
    'DynamicMaskHead', 'MaskFeatureFusion', 'PromptCdnQueryGenerator', 'UniversalObjectQueue',
    'VLAlign'
]
__all__ += ['SparseContext', 'sparsify']
from .token_boosting import GaussianTokenNoise, TokenBoostingModule, boost_tokens

__all__ += ['GaussianTokenNoise', 'TokenBoostingModule', 'boost_tokens']
