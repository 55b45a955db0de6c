# Copyright (c) mmvl contributors. All rights reserved.
from .base import GridVLBaseModel
from .classifier import GridVLClassifier
from .encoder import GridVLEncoder, sine_position_encoding
from .pretrain import GridVLPretrainer, ITMNegativeSampler
from .retrieval import GridVLRetrieval, RetrievalNegativeSampler, hardest_negative_loss
from .vqa import GridVLNLVR2, GridVLVQA

__all__ = [
    'GridVLBaseModel', 'GridVLEncoder', 'sine_position_encoding', 'GridVLPretrainer',
    'ITMNegativeSampler', 'GridVLRetrieval', 'RetrievalNegativeSampler', 'hardest_negative_loss',
    'GridVLNLVR2', 'GridVLVQA', 'GridVLClassifier'
]
