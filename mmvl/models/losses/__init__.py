# Copyright (c) mmvl contributors. All rights reserved.
from .object_center_contrast_loss import ObjectCenterContrastLoss, select_object_background

__all__ = ['ObjectCenterContrastLoss', 'select_object_background']
