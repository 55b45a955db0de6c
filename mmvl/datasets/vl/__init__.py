# Copyright (c) mmvl contributors. All rights reserved.
from .image_text_pretrain import (CC3MPretrain, COCOCaptionPretrain, ImageTextPretrainDataset,
                                  SBUPretrain, VGRegionCaptionPretrain, group_captions)
from .nlvr2 import NLVR2Dataset, read_nlvr2_file
from .region_vqa import LoadRegionFeatures, PackRegionVQAInputs, RegionFeatureVQADataset
from .retrieval import KarpathyRetrieval
from .snli_ve import SNLI_VE_CLASSES, SNLIVEDataset
from .vqa import VQAv2Dataset, answer_score, build_answer_table, load_answer_table

__all__ = [
    'CC3MPretrain', 'COCOCaptionPretrain', 'ImageTextPretrainDataset', 'SBUPretrain',
    'VGRegionCaptionPretrain', 'group_captions', 'NLVR2Dataset', 'read_nlvr2_file',
    'KarpathyRetrieval', 'SNLI_VE_CLASSES', 'SNLIVEDataset', 'VQAv2Dataset', 'answer_score',
    'build_answer_table', 'load_answer_table', 'LoadRegionFeatures', 'PackRegionVQAInputs',
    'RegionFeatureVQADataset'
]
