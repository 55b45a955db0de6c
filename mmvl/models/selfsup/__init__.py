# Copyright (c) mmvl contributors. All rights reserved.
from .spark import SparK, SparKMaskGenerator  # noqa: F401
