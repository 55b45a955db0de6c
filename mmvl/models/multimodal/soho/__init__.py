# Copyright (c) mmvl contributors. All rights reserved.
from .soho_pretrain import MVMMasker, SOHOPretrainer
from .visual_dictionary import VisualDictionary

__all__ = ['MVMMasker', 'SOHOPretrainer', 'VisualDictionary']
