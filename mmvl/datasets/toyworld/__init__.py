# Copyright (c) mmvl contributors. All rights reserved.
"""The toy world: deterministic synthetic scenes written in real public data-set formats.

``generate_toyworld(out_dir, num_images=..., seed=...)`` writes COCO instances and captions,
Karpathy splits, RefCOCO refs, VQAv2, NLVR2, ImageNet-style folders and YouTube-VIS /
Ref-YouTube-VOS clips; ``tools/dataset_converters/make_toyworld.py`` is its command line.
"""
from .generate import generate_toyworld, split_sizes
from .scene import Scene, ToyObject, relation
from .vocabulary import (BASE_CLASSES, CLASSES, COLOUR_BGR, COLOURS, HELD_OUT_PAIRS,
                         NOVEL_CLASSES, PALETTE, PLURALS, RELATIONS, SIZES, category_id,
                         coco_categories, metainfo)

__all__ = [
    'BASE_CLASSES', 'CLASSES', 'COLOUR_BGR', 'COLOURS', 'HELD_OUT_PAIRS', 'NOVEL_CLASSES',
    'PALETTE', 'PLURALS', 'RELATIONS', 'SIZES', 'Scene', 'ToyObject', 'category_id',
    'coco_categories', 'generate_toyworld', 'metainfo', 'relation', 'split_sizes'
]
