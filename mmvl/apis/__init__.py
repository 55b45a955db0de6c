# Copyright (c) mmvl contributors. All rights reserved.
from .base_inferencer import InputError, MMVLInferencer
from .det_inferencer import DetSegInferencer
from .model import init_model, load_config
from .retrieval_inferencer import RetrievalInferencer
from .vqa_inferencer import VQAInferencer

__all__ = [
    'DetSegInferencer', 'InputError', 'MMVLInferencer', 'init_model', 'load_config',
    'RetrievalInferencer', 'VQAInferencer'
]
