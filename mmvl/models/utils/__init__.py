# Copyright (c) mmvl contributors. All rights reserved.
from .ema import CosineMomentumEMA
from .iou_aware_postprocess import iou_aware_scores, select_detections

__all__ = ['CosineMomentumEMA', 'iou_aware_scores', 'select_detections']
