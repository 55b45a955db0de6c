# Copyright (c) mmvl contributors. All rights reserved.
from .iou_aware_postprocess import iou_aware_scores, select_detections

__all__ = ['iou_aware_scores', 'select_detections']
