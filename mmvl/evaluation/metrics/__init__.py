# Copyright (c) mmvl contributors. All rights reserved.
from .open_world_metric import OpenWorldMetric
from .referring_metric import ReferringMetric
from .region_attribute_acc import RegionAttributeAccuracy
from .vl_retrieval import VLRetrievalRecall, recall_at_k
from .vqa_official import OfficialVQAAcc

__all__ = [
    'OfficialVQAAcc', 'OpenWorldMetric', 'ReferringMetric', 'RegionAttributeAccuracy',
    'VLRetrievalRecall', 'recall_at_k'
]
