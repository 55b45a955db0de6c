# Copyright (c) mmvl contributors. All rights reserved.
from .checks import AnnotationError
from .coco import CocoDataset
from .compositions import ConceptParser, novelty_level
from .refcoco import RefCOCODataset
from .samplers import MetaCompositionalSampler, MultiSourceTaskSampler
from .transforms import (CategoryPrompt, GroundingSafeRandomCrop, SampleExpression,
                         SwapLeftRightOnFlip)
from .visual_genome_det import VisualGenomeDetDataset
from .video import RawframeDataset, VideoDataset
from .virtual_sets import VirtualSetSplitter, VirtualSplit
from .vl import *  # noqa: F401,F403 (registers the vision-language datasets)

__all__ = [
    'AnnotationError', 'CocoDataset', 'ConceptParser', 'novelty_level', 'RefCOCODataset',
    'MetaCompositionalSampler', 'MultiSourceTaskSampler', 'CategoryPrompt',
    'GroundingSafeRandomCrop', 'SampleExpression', 'SwapLeftRightOnFlip',
    'VirtualSetSplitter', 'VirtualSplit', 'VisualGenomeDetDataset', 'RawframeDataset',
    'VideoDataset'
]
