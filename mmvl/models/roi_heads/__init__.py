# Copyright (c) mmvl contributors. All rights reserved.
from .attribute_bbox_head import AttributeBBoxHead
from .attribute_roi_head import AttributeRoIHead, select_butd_regions

__all__ = ['AttributeBBoxHead', 'AttributeRoIHead', 'select_butd_regions']
