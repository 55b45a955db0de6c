# Copyright (c) mmvl contributors. All rights reserved.
from .tbm_vit import TBMVisionTransformer, TBMViT, TokenBoostingMixin

__all__ = ['TBMViT', 'TBMVisionTransformer', 'TokenBoostingMixin']
