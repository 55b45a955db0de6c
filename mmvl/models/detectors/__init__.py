# Copyright (c) mmvl contributors. All rights reserved.
from .sword import SWORD

__all__ = ['SWORD']
