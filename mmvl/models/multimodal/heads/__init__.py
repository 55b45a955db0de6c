# Copyright (c) mmvl contributors. All rights reserved.
from .itc_head import ITCHead
from .itm_head import ITMHead
from .nlvr2_head import NLVR2PairHead
from .vqa_head import VQAClassificationHead, soft_answer_targets, top_answers

__all__ = ['ITCHead', 'ITMHead', 'NLVR2PairHead', 'VQAClassificationHead', 'soft_answer_targets',
           'top_answers']
