# Copyright (c) mmvl contributors. All rights reserved.
from .text_encoder import PACKAGED_TEXT_MODELS, TextEncoder, resolve_text_model

__all__ = ['PACKAGED_TEXT_MODELS', 'TextEncoder', 'resolve_text_model']
