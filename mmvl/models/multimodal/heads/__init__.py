# Copyright (c) mmvl contributors. All rights reserved.
from .itm_head import ITMHead
from .nlvr2_head import NLVR2PairHead
from .vqa_head import VQAClassificationHead, soft_answer_targets, top_answers

__all__ = ['ITMHead', 'NLVR2PairHead', 'VQAClassificationHead', 'soft_answer_targets',
           'top_answers']
