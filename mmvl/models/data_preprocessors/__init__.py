# Copyright (c) mmvl contributors. All rights reserved.
from .mcl_montage import (MCLDataPreprocessor, MontagePyramid, build_montage_pyramid,  # noqa: F401
                          sample_montage_sources, tile_montages)
from .video import VideoDataPreprocessor  # noqa: F401
from .vl_data_preprocessor import VLDataPreprocessor  # noqa: F401
