# Copyright (c) mmvl contributors. All rights reserved.
from .base_inferencer import InputError, MMVLInferencer
from .det_inferencer import DetSegInferencer
from .model import init_model, load_config

__all__ = ['DetSegInferencer', 'InputError', 'MMVLInferencer', 'init_model', 'load_config']
