# Copyright (c) mmvl contributors. All rights reserved.
"""SNLI-VE visual entailment (Xie et al., "Visual Entailment", arXiv 1901.06706).

The official ``snli_ve_{train,dev,test}.jsonl`` files hold one SNLI pair per line whose premise
is a Flickr30K image: ``Flickr30K_ID`` (the image is ``<id>.jpg`` in the Flickr30K images),
``sentence2`` (the hypothesis), ``gold_label`` (entailment / neutral / contradiction), plus
``sentence1`` (the caption SNLI used as premise), ``pairID`` and ``captionID``.
"""
import json
import os.path as osp
from typing import List

from mmpretrain.datasets import BaseDataset

from mmvl.registry import DATASETS
from ..checks import AnnotationError, check_exists

SNLI_VE_CLASSES = ('entailment', 'neutral', 'contradiction')


@DATASETS.register_module()
class SNLIVEDataset(BaseDataset):
    """SNLI-VE: does the image entail the hypothesis?

    Entries: ``img_path``, ``image_id`` (the Flickr30K id), ``text`` (the hypothesis),
    ``premise`` (the SNLI caption), ``pair_id`` and ``gt_label`` (entailment 0, neutral 1,
    contradiction 2).

    Args:
        ann_file (str): An ``snli_ve_*.jsonl`` file.
        data_prefix (str | dict): Folder of the Flickr30K images.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset``.
    """
    METAINFO = dict(classes=SNLI_VE_CLASSES)

    def load_data_list(self) -> List[dict]:
        """One entry per (image, hypothesis) pair."""
        check_exists(self.ann_file, 'SNLI-VE annotation file')
        img_prefix = self.data_prefix['img_path']
        data_list = []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f'{self.ann_file}, line {lineno}'
                try:
                    example = json.loads(line)
                except json.JSONDecodeError as e:
                    raise AnnotationError(f'{where}: not json ({e.msg})') from None
                missing = [k for k in ('Flickr30K_ID', 'sentence2', 'gold_label')
                           if k not in example]
                if missing:
                    raise AnnotationError(f'{where}: lacks the key(s) {missing}')
                if example['gold_label'] not in SNLI_VE_CLASSES:
                    raise AnnotationError(f'{where}: gold_label must be one of '
                                          f'{SNLI_VE_CLASSES}, got {example["gold_label"]!r}')
                image_id = str(example['Flickr30K_ID'])
                data_list.append(dict(
                    img_path=osp.join(img_prefix, f'{image_id}.jpg'), image_id=image_id,
                    text=example['sentence2'], premise=example.get('sentence1', ''),
                    pair_id=example.get('pairID', ''),
                    gt_label=SNLI_VE_CLASSES.index(example['gold_label'])))
        return data_list
