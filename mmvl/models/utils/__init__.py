# Copyright (c) mmvl contributors. All rights reserved.
from .ema import CosineMomentumEMA
from .iou_aware_postprocess import iou_aware_scores, select_detections
from .momentum_target import MomentumTargetMixin

__all__ = ['CosineMomentumEMA', 'MomentumTargetMixin', 'iou_aware_scores', 'select_detections']
