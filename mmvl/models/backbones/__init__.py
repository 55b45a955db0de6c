# Copyright (c) mmvl contributors. All rights reserved.
from .tbm_vit import TBMVisionTransformer, TBMViT, TokenBoostingMixin
from .video_conv_vit import VideoConvMAEViT, VideoConvViT
from .video_mae_vit import VideoMAEViT, VideoViT, sincos_pos_embed

__all__ = [
    'TBMViT', 'TBMVisionTransformer', 'TokenBoostingMixin', 'VideoConvMAEViT', 'VideoConvViT',
    'VideoMAEViT', 'VideoViT', 'sincos_pos_embed'
]
