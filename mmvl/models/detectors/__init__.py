# Copyright (c) mmvl contributors. All rights reserved.
from .sword import SWORD
from .uninext import UNINEXT

__all__ = ['SWORD', 'UNINEXT']
