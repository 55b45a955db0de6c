# Copyright (c) mmvl contributors. All rights reserved.
"""NLVR2 (Suhr et al., ACL 2019) from the official jsonl files.

Each line: ``identifier`` (``train-10171-0-0``), ``sentence``, ``label`` (``"True"`` /
``"False"``), urls, ``synset``, ``query``. The pair's images are
``<identifier without its last -N>-img0.png`` / ``-img1.png`` under the image folder, which is
how mmpretrain's ``NLVR2`` builds the paths; this class checks the file first so a malformed
line or a wrong image folder gives one error naming it.
"""
import json
import os.path as osp
from typing import List

from mmpretrain.datasets import NLVR2

from mmvl.registry import DATASETS
from ..checks import AnnotationError, check_exists

NLVR2_LABELS = {'True': 1, 'False': 0}


def check_nlvr2_file(path: str) -> int:
    """Check every line of an NLVR2 jsonl file; returns the number of statements."""
    check_exists(path, 'NLVR2 annotation file')
    count = 0
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                example = json.loads(line)
            except json.JSONDecodeError as e:
                raise AnnotationError(f'{path}, line {lineno}: not json ({e.msg})') from None
            if not isinstance(example, dict):
                raise AnnotationError(f'{path}, line {lineno}: should be a json object')
            missing = [k for k in ('identifier', 'sentence', 'label') if k not in example]
            if missing:
                raise AnnotationError(f'{path}, line {lineno}: lacks the key(s) {missing}')
            if example['label'] not in NLVR2_LABELS:
                raise AnnotationError(f'{path}, line {lineno}: label must be "True" or '
                                      f'"False", got {example["label"]!r}')
            if example['identifier'].count('-') < 1:
                raise AnnotationError(f'{path}, line {lineno}: identifier '
                                      f'{example["identifier"]!r} is not <split>-<set>-<pair>-<n>')
            count += 1
    return count


@DATASETS.register_module()
class NLVR2Dataset(NLVR2):
    """mmpretrain's NLVR2 loader with checked input.

    Entries: ``text`` (the statement), ``gt_label`` (True = 1, False = 0) and ``img_path`` (a
    list of the two image paths).

    Args:
        ann_file (str): ``train.json`` / ``dev.json`` / ``test1.json`` (jsonl).
        data_prefix (str | dict): Image folder of the split.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset`` (``data_root``, pipeline).
    """

    def load_data_list(self) -> List[dict]:
        """Check the file, then read it with mmpretrain's ``NLVR2``."""
        check_nlvr2_file(self.ann_file)
        data_list = super().load_data_list()
        if data_list and not osp.isfile(data_list[0]['img_path'][0]):
            raise FileNotFoundError(
                f'NLVR2 image not found: {data_list[0]["img_path"][0]} (first statement of '
                f'{self.ann_file}); check data_prefix')
        return data_list
