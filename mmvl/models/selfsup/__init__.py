# Copyright (c) mmvl contributors. All rights reserved.
from .cmae import CMAE, CMAEViT  # noqa: F401
from .mcl import MCL, MCLHead  # noqa: F401
from .spark import SparK, SparKMaskGenerator  # noqa: F401
from .video_mae import (VideoMAEPretrainDecoder, VideoMAEPretrainHead, patchify_3d,  # noqa: F401
                        unpatchify_3d)
