# Copyright (c) mmvl contributors. All rights reserved.
"""VQAv2 questions over dumped region features (bottom-up-attention layout).

"Learning Rich Image Region Representation for Visual Question Answering" (arXiv 1910.13077)
answers VQAv2 questions from detector region features dumped beforehand (§2); this dataset
pairs the VQAv2 question / annotation files with ``<image_id>.npz`` feature files written by
``tools/misc/extract_region_features.py``, and the transforms load and pack them.
"""
import os
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.structures import DataSample

from mmvl.registry import DATASETS, TRANSFORMS
from ..checks import check_exists
from ..region_features import RegionFeatureReader
from .vqa import VQAv2Dataset

#: Question / answer fields packed into the data sample (the VQA contract).
VQA_KEYS = ('question', 'question_id', 'image_id', 'answer_type', 'gt_answer', 'gt_answer_label',
            'gt_answer_score')


@DATASETS.register_module()
class RegionFeatureVQADataset(VQAv2Dataset):
    """:class:`VQAv2Dataset` whose "image" of a question is its region-feature file.

    ``img_path`` of each entry is ``<feature_dir>/<image_id>.npz``; a question whose image
    has no feature file is an error naming the folder.

    Args:
        data_root (str): Root of the other paths.
        feature_dir (str): Folder of ``<image_id>.npz`` files (relative to ``data_root``).
        question_file (str): VQAv2 questions.
        ann_file (str): VQAv2 annotations ('' for test splits). Defaults to ''.
        answer_table (str | list[str], optional): See :class:`VQAv2Dataset`.
        **kwargs: Other arguments of :class:`VQAv2Dataset`.
    """

    def __init__(self, data_root: str, feature_dir: str, question_file: str,
                 ann_file: str = '', **kwargs) -> None:
        kwargs.pop('data_prefix', None)
        super().__init__(data_root=data_root, data_prefix=feature_dir,
                         question_file=question_file, ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        check_exists(self.data_prefix['img_path'], 'region feature folder',
                     'dump it with tools/misc/extract_region_features.py')
        return super().load_data_list()

    def _create_image_index(self) -> dict:
        folder = self.data_prefix['img_path']
        index = {}
        for name in os.listdir(folder):
            stem, ext = osp.splitext(name)
            if ext == '.npz' and stem.isdigit():
                index[int(stem)] = osp.join(folder, name)
        return index


@TRANSFORMS.register_module()
class LoadRegionFeatures(BaseTransform):
    """Read ``img_path`` (an npz of :mod:`mmvl.datasets.region_features`) into
    ``region_feats`` (K x C float32) and ``region_boxes`` (K x 4, divided by the image width
    and height, so in [0, 1]).

    Args:
        max_boxes (int, optional): Keep the first (most confident) ``max_boxes`` regions.
            Defaults to None (all).
    """

    def __init__(self, max_boxes: Optional[int] = None) -> None:
        self.max_boxes = max_boxes

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        reader = RegionFeatureReader(osp.dirname(path), max_boxes=self.max_boxes)
        record = reader.load(int(osp.splitext(osp.basename(path))[0]))
        size = np.array([record['image_w'], record['image_h']] * 2, dtype=np.float32)
        results['region_feats'] = record['features']
        results['region_boxes'] = record['boxes'] / size
        return results


@TRANSFORMS.register_module()
class PackRegionVQAInputs(BaseTransform):
    """Pack ``region_feats`` / ``region_boxes`` as the model input (a dict of tensors) and the
    VQA fields of the contract into an mmpretrain ``DataSample``."""

    def transform(self, results: dict) -> dict:
        inputs = dict(feats=torch.from_numpy(np.ascontiguousarray(results['region_feats'])),
                      boxes=torch.from_numpy(np.ascontiguousarray(results['region_boxes'])))
        sample = DataSample()
        sample.set_metainfo(dict(img_path=results.get('img_path')))
        for key in VQA_KEYS:
            if key in results:
                sample.set_field(results[key], key)
        return dict(inputs=inputs, data_samples=sample)


def pad_regions(items: List[dict]) -> dict:
    """Stack per-sample region inputs (K_i x C) into B x K x C with a B x K validity mask."""
    num = max(len(item['feats']) for item in items)
    feats = items[0]['feats'].new_zeros((len(items), num, items[0]['feats'].shape[1]))
    boxes = items[0]['boxes'].new_zeros((len(items), num, 4))
    mask = torch.zeros(len(items), num, dtype=torch.bool)
    for i, item in enumerate(items):
        k = len(item['feats'])
        feats[i, :k], boxes[i, :k], mask[i, :k] = item['feats'], item['boxes'], True
    return dict(feats=feats, boxes=boxes, mask=mask)
