# Copyright (c) mmvl contributors. All rights reserved.
from .butd_head import BUTDAttentionHead, GatedTanh, box_features
from .mcan_head import MCANHead
from .question_encoder import BertQuestionEncoder
from .region_vqa import RegionFeaturePreprocessor, RegionVQA

__all__ = [
    'BUTDAttentionHead', 'GatedTanh', 'box_features', 'BertQuestionEncoder', 'MCANHead',
    'RegionFeaturePreprocessor', 'RegionVQA'
]
