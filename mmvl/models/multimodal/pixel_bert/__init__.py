# Copyright (c) mmvl contributors. All rights reserved.
from .pixel_bert_pretrain import PixelBERTPretrainer, PixelSampler

__all__ = ['PixelBERTPretrainer', 'PixelSampler']
