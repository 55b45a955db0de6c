# Copyright (c) mmvl contributors. All rights reserved.
from .mcl_region_neck import MCLRegionNeck  # noqa: F401
