# Copyright (c) mmvl contributors. All rights reserved.
"""NLVR2 (Suhr et al., ACL 2019) from the official jsonl files.

Each line: ``identifier`` (``train-10171-0-0``), ``sentence``, ``label`` (``"True"`` /
``"False"``), urls, ``synset``, ``query`` and, in ``train.json`` only, ``directory``: the
official train images sit in numbered sub-folders, ``images/train/<directory>/``. The pair's
images are ``<identifier without its last -N>-img0.png`` / ``-img1.png``, which is how
mmpretrain's ``NLVR2`` names them; it ignores ``directory``, so this loader reads the lines
itself (checking each) and puts the images of a train line in its sub-folder.
"""
import json
import os.path as osp
from typing import List

from mmengine.fileio import get_file_backend
from mmpretrain.datasets import NLVR2

from mmvl.registry import DATASETS
from ..checks import AnnotationError, check_exists

NLVR2_LABELS = {'True': 1, 'False': 0}


def read_nlvr2_file(path: str) -> List[dict]:
    """The checked statements of an NLVR2 jsonl file, one dict per non-empty line."""
    check_exists(path, 'NLVR2 annotation file')
    examples = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f'{path}, line {lineno}'
            try:
                example = json.loads(line)
            except json.JSONDecodeError as e:
                raise AnnotationError(f'{where}: not json ({e.msg})') from None
            if not isinstance(example, dict):
                raise AnnotationError(f'{where}: should be a json object')
            missing = [k for k in ('identifier', 'sentence', 'label') if k not in example]
            if missing:
                raise AnnotationError(f'{where}: lacks the key(s) {missing}')
            if example['label'] not in NLVR2_LABELS:
                raise AnnotationError(f'{where}: label must be "True" or "False", got '
                                      f'{example["label"]!r}')
            if example['identifier'].count('-') < 1:
                raise AnnotationError(f'{where}: identifier {example["identifier"]!r} is not '
                                      '<split>-<set>-<pair>-<n>')
            examples.append(example)
    return examples


@DATASETS.register_module()
class NLVR2Dataset(NLVR2):
    """NLVR2 statements with their image pairs, in mmpretrain's ``NLVR2`` entry layout.

    Entries: ``text`` (the statement), ``gt_label`` (True = 1, False = 0), ``img_path`` (a
    list of the two image paths) and ``identifier``.

    Args:
        ann_file (str): ``train.json`` / ``dev.json`` / ``test1.json`` (jsonl).
        data_prefix (str | dict): Image folder of the split (``images/train``; a line's
            ``directory`` is a sub-folder of it).
        **kwargs: Other arguments of mmpretrain's ``BaseDataset`` (``data_root``, pipeline).
    """

    def load_data_list(self) -> List[dict]:
        """One entry per statement (see the class doc)."""
        img_prefix = self.data_prefix['img_path']
        backend = get_file_backend(img_prefix)
        data_list = []
        for example in read_nlvr2_file(self.ann_file):
            stem = example['identifier'].rsplit('-', 1)[0]
            folder = [str(example['directory'])] if 'directory' in example else []
            data_list.append(dict(
                text=example['sentence'], gt_label=NLVR2_LABELS[example['label']],
                identifier=example['identifier'],
                img_path=[backend.join_path(img_prefix, *folder, f'{stem}-img{i}.png')
                          for i in range(2)]))
        if data_list and not osp.isfile(data_list[0]['img_path'][0]):
            raise FileNotFoundError(
                f'NLVR2 image not found: {data_list[0]["img_path"][0]} (first statement of '
                f'{self.ann_file}); check data_prefix')
        return data_list
