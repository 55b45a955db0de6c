# Copyright (c) mmvl contributors. All rights reserved.
"""Visual Genome objects + attributes as an mmdet detection dataset.

The bottom-up-attention detector (Anderson et al., CVPR 2018, the features that "Learning Rich
Image Region Representation for Visual Question Answering", arXiv 1910.13077, §2 improves on)
is trained on Visual Genome with a vocabulary of 1,600 object classes and 400 attributes. This
module reads the public VG files (``image_data.json``, ``objects.json``, ``attributes.json``)
and BUTD's vocabulary files (``objects_vocab.txt``, ``attributes_vocab.txt``: one class a
line, aliases separated by commas, the first spelling being the class name) into mmdet
instances that also carry ``attr_labels``, the attribute indices of each object.
"""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from mmdet.datasets import BaseDetDataset

from mmvl.registry import DATASETS
from .checks import AnnotationError, check_exists, load_json, require_keys

VG_HINT = ('Convert the toy world with `python tools/dataset_converters/toyworld_to_vg.py`, '
           'or download Visual Genome v1.4 and the bottom-up-attention vocabularies')


def load_vocab(path: str) -> List[List[str]]:
    """Read a BUTD vocabulary file.

    Args:
        path (str): ``objects_vocab.txt`` or ``attributes_vocab.txt``.

    Returns:
        list[list[str]]: Per class (line), its lower-case spellings; the first is its name.
    """
    check_exists(path, 'vocabulary file', VG_HINT)
    vocab = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            aliases = [a.strip().lower() for a in line.strip().split(',') if a.strip()]
            if not aliases:
                raise AnnotationError(f'{path}: line {lineno} is empty; one class a line')
            vocab.append(aliases)
    if not vocab:
        raise AnnotationError(f'{path} holds no class')
    return vocab


def alias_table(vocab: Sequence[Sequence[str]]) -> Dict[str, int]:
    """Map every spelling of a vocabulary to its class index."""
    table = {}
    for index, aliases in enumerate(vocab):
        for alias in aliases:
            table.setdefault(alias, index)
    return table


def load_image_ids(path: str) -> List[int]:
    """Read a split file: one image a line, as an id or a BUTD path such as
    ``vg/VG_100K_2/1.jpg vg/xml/1.xml`` (the id is the first token's file stem)."""
    check_exists(path, 'split file', VG_HINT)
    ids = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            stem = osp.splitext(osp.basename(line.split()[0]))[0]
            if not stem.isdigit():
                raise AnnotationError(
                    f'{path}: line {lineno} ({line.strip()!r}) names no numeric image id')
            ids.append(int(stem))
    return ids


def _records_by_image(data, path: str, list_key: str) -> Dict[int, list]:
    """Index an ``objects.json``/``attributes.json`` list by image id."""
    if not isinstance(data, list):
        raise AnnotationError(f'{path} should hold a json list of images')
    records = {}
    for i, rec in enumerate(data):
        require_keys(rec, (list_key, ), f'{path}: [{i}]')
        image_id = rec.get('image_id', rec.get('id'))
        if image_id is None:
            raise AnnotationError(f'{path}: [{i}] lacks the key image_id')
        records[int(image_id)] = rec[list_key]
    return records


@DATASETS.register_module()
class VisualGenomeDetDataset(BaseDetDataset):
    """Visual Genome boxes with object classes and attributes (BUTD's 1,600 / 400 convention).

    An object is kept when one of its ``names`` is a spelling of a vocabulary class (BUTD
    drops the others); its attributes that are spellings of attribute classes become
    ``attr_labels`` (0-based, duplicates removed, at most ``max_attrs_per_object``). The
    image file is ``data_prefix['img']`` joined with the last two parts of the image's
    ``url`` (``VG_100K/1.jpg`` or ``VG_100K_2/1.jpg``, the folders of the VG download).

    Args:
        ann_file (str): ``objects.json``.
        attr_file (str, optional): ``attributes.json``; objects are matched by
            ``object_id``. Without it no object has attributes. Defaults to None.
        image_data_file (str): ``image_data.json`` (sizes and urls).
            Defaults to 'image_data.json'.
        objects_vocab (str): Object vocabulary file. Defaults to 'objects_vocab.txt'.
        attributes_vocab (str): Attribute vocabulary file. Defaults to 'attributes_vocab.txt'.
        split_file (str, optional): Image ids of this split (see :func:`load_image_ids`);
            None keeps every image. Defaults to None.
        max_attrs_per_object (int): BUTD keeps at most 16. Defaults to 16.
        min_box_size (float): Objects with a side below this (pixels) are dropped.
            Defaults to 1.
        **kwargs: :class:`mmdet.datasets.BaseDetDataset` arguments (``data_root``,
            ``data_prefix``, ``pipeline``, ``filter_cfg``, ``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str = 'objects.json',
                 attr_file: Optional[str] = 'attributes.json',
                 image_data_file: str = 'image_data.json',
                 objects_vocab: str = 'objects_vocab.txt',
                 attributes_vocab: str = 'attributes_vocab.txt',
                 split_file: Optional[str] = None,
                 max_attrs_per_object: int = 16,
                 min_box_size: float = 1.,
                 data_root: str = '',
                 **kwargs) -> None:
        check_exists(data_root, 'data root', VG_HINT)
        join = (lambda p: p if p is None or osp.isabs(p) or not data_root
                else osp.join(data_root, p))
        self.attr_file = join(attr_file)
        self.image_data_file = join(image_data_file)
        self.split_file = join(split_file)
        self.max_attrs_per_object = max_attrs_per_object
        self.min_box_size = min_box_size
        self.object_vocab = load_vocab(join(objects_vocab))
        self.attribute_vocab = load_vocab(join(attributes_vocab))
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('classes', tuple(v[0] for v in self.object_vocab))
        metainfo.setdefault('attributes', tuple(v[0] for v in self.attribute_vocab))
        if len(metainfo['classes']) != len(self.object_vocab):
            raise AnnotationError(
                f'metainfo has {len(metainfo["classes"])} classes but {join(objects_vocab)} '
                f'has {len(self.object_vocab)}')
        super().__init__(ann_file=ann_file, data_root=data_root, metainfo=metainfo, **kwargs)

    def _image_table(self) -> Dict[int, dict]:
        images = load_json(self.image_data_file)
        if not isinstance(images, list):
            raise AnnotationError(f'{self.image_data_file} should hold a json list of images')
        table = {}
        for i, img in enumerate(images):
            where = f'{self.image_data_file}: [{i}]'
            require_keys(img, ('width', 'height', 'url'), where)
            image_id = img.get('image_id', img.get('id'))
            if image_id is None:
                raise AnnotationError(f'{where} lacks the key image_id')
            table[int(image_id)] = img
        return table

    def _attributes_by_object(self) -> Dict[int, List[str]]:
        if self.attr_file is None:
            return {}
        by_image = _records_by_image(load_json(self.attr_file), self.attr_file, 'attributes')
        by_object = defaultdict(list)
        for image_id, objects in by_image.items():
            for j, obj in enumerate(objects):
                require_keys(obj, ('object_id', ), f'{self.attr_file}: image {image_id} '
                             f'attributes[{j}]')
                by_object[obj['object_id']] += obj.get('attributes') or []
        return by_object

    def load_data_list(self) -> List[dict]:
        """Join the VG files into mmdet data infos with ``instances[i]['attr_labels']``."""
        check_exists(self.ann_file, 'annotation file', VG_HINT)
        images = self._image_table()
        objects = _records_by_image(load_json(self.ann_file), self.ann_file, 'objects')
        attributes = self._attributes_by_object()
        class_of = alias_table(self.object_vocab)
        attr_of = alias_table(self.attribute_vocab)
        image_ids = (load_image_ids(self.split_file) if self.split_file is not None
                     else sorted(images))
        data_list = []
        for image_id in image_ids:
            if image_id not in images:
                raise AnnotationError(
                    f'image {image_id} (of {self.split_file}) is not in {self.image_data_file}')
            img = images[image_id]
            instances = []
            for j, obj in enumerate(objects.get(image_id, [])):
                where = f'{self.ann_file}: image {image_id} objects[{j}]'
                require_keys(obj, ('x', 'y', 'w', 'h', 'names'), where)
                labels = [class_of[n.strip().lower()] for n in obj['names']
                          if n.strip().lower() in class_of]
                if not labels or min(obj['w'], obj['h']) < self.min_box_size:
                    continue
                attr_labels = []
                for name in attributes.get(obj.get('object_id'), []):
                    index = attr_of.get(name.strip().lower())
                    if index is not None and index not in attr_labels:
                        attr_labels.append(index)
                x, y, w, h = (float(obj[k]) for k in ('x', 'y', 'w', 'h'))
                instances.append(
                    dict(
                        bbox=[x, y, x + w, y + h],
                        bbox_label=labels[0],
                        ignore_flag=0,
                        attr_labels=attr_labels[:self.max_attrs_per_object]))
            rel_path = '/'.join(img['url'].replace('\\', '/').split('/')[-2:])
            data_list.append(
                dict(
                    img_path=osp.join(self.data_prefix.get('img', ''), rel_path),
                    img_id=image_id,
                    width=int(img['width']),
                    height=int(img['height']),
                    instances=instances))
        return data_list

    def filter_data(self) -> List[dict]:
        """Drop images without objects in training when ``filter_cfg.filter_empty_gt``."""
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        return [info for info in self.data_list if info['instances']]
