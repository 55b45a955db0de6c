# Copyright (c) mmvl contributors. All rights reserved.
"""Image-text retrieval on the Karpathy splits (Karpathy & Fei-Fei, CVPR 2015).

``dataset_coco.json`` / ``dataset_flickr30k.json``: ``images[{filepath (COCO only), filename,
imgid, split (train | restval | val | test), sentences[{raw, tokens, sentid}]}]``. COCO has
113,287 train (with restval) / 5,000 val / 5,000 test images, Flickr30K 29,000 / 1,014 / 1,000.
COCO results are reported on the 5K test images and as the mean over five folds of 1K images
(``fold``), Flickr30K on its 1K test images.
"""
from collections import OrderedDict
from typing import List, Optional

from mmengine.fileio import get_file_backend
from mmpretrain.datasets import Flickr30kRetrieval

from mmvl.registry import DATASETS
from ..checks import AnnotationError, load_json, require_keys


@DATASETS.register_module()
class KarpathyRetrieval(Flickr30kRetrieval):
    """A Karpathy-split retrieval set in mmpretrain's retrieval layout.

    Extends mmpretrain's ``Flickr30kRetrieval`` (same entries, so mmpretrain's
    ``RetrievalTestLoop`` and BLIP-style models work unchanged) with COCO's ``filepath``
    folders, ``restval`` images in the training split, 1K folds of the test split and checked
    input.

    - train mode: one entry per caption: ``img_path``, ``text`` (str), ``image_id`` (running
      image index), ``text_id`` (running caption index), ``image_ori_id``, ``is_matched``.
    - test mode: one entry per image: ``img_path``, ``image_id``, ``text`` (its captions),
      ``gt_text_id`` (their running indices), ``gt_image_id`` (the image index per caption).

    ``img_size`` / ``text_size`` count the images / captions; :attr:`texts` lists all captions
    by running index.

    Args:
        data_root (str): Root of the other paths.
        data_prefix (str): Image folder (COCO: the folder holding ``train2014/``, ``val2014/``).
        ann_file (str): ``dataset_coco.json`` or ``dataset_flickr30k.json``.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        include_restval (bool): Add ``restval`` images to ``'train'`` (113K COCO).
            Defaults to True.
        fold (int, optional): Keep only images ``[fold * fold_size, (fold + 1) * fold_size)`` of
            the split (COCO 1K test: folds 0-4). Defaults to None (all).
        fold_size (int): Images per fold. Defaults to 1000.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset`` (``test_mode``, pipeline).
    """

    def __init__(self, data_root: str, data_prefix: str, ann_file: str, split: str,
                 include_restval: bool = True, fold: Optional[int] = None,
                 fold_size: int = 1000, **kwargs) -> None:
        self.include_restval = include_restval
        self.fold = fold
        self.fold_size = fold_size
        if fold is not None and fold < 0:
            raise ValueError(f'fold must be >= 0, got {fold}')
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file,
                         split=split, **kwargs)

    def _split_images(self) -> List[dict]:
        data = load_json(self.ann_file)
        require_keys(data, ('images', ), f'{self.ann_file} (Karpathy split)')
        splits = {self.split}
        if self.split == 'train' and self.include_restval:
            splits.add('restval')
        images = []
        for i, img in enumerate(data['images']):
            require_keys(img, ('filename', 'split', 'sentences'),
                         f'{self.ann_file}: images[{i}]')
            if img['split'] in splits:
                images.append(img)
        if self.fold is not None:
            start = self.fold * self.fold_size
            if start >= len(images):
                raise ValueError(f'fold {self.fold} of {self.fold_size} images is empty: the '
                                 f'{self.split} split has {len(images)} images')
            images = images[start:start + self.fold_size]
        return images

    def load_data_list(self) -> List[dict]:
        """Entries as described in the class doc."""
        img_prefix = self.data_prefix['img_path']
        backend = get_file_backend(img_prefix)
        img_dict = OrderedDict()
        train_list, self.texts = [], []
        for img_idx, img in enumerate(self._split_images()):
            parts = [img['filepath']] if img.get('filepath') else []
            entry = dict(ori_id=img.get('imgid', img_idx), image_id=img_idx,
                         img_path=backend.join_path(img_prefix, *parts, img['filename']),
                         text=[], gt_text_id=[], gt_image_id=[])
            for j, sentence in enumerate(img['sentences']):
                if 'raw' not in sentence:
                    raise AnnotationError(f'{self.ann_file}: sentence {j} of image '
                                          f'{img["filename"]} has no "raw" caption')
                text_id = len(self.texts)
                self.texts.append(sentence['raw'])
                train_list.append(dict(
                    text=sentence['raw'], ori_id=sentence.get('sentid', text_id),
                    text_id=text_id, image_ori_id=entry['ori_id'], image_id=img_idx,
                    img_path=entry['img_path'], is_matched=True))
                entry['text'].append(sentence['raw'])
                entry['gt_text_id'].append(text_id)
                entry['gt_image_id'].append(img_idx)
            img_dict[img_idx] = entry
        self.img_size = len(img_dict)
        self.text_size = len(self.texts)
        if self.test_mode:
            return list(img_dict.values())
        return train_list
