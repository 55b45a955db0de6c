# Copyright (c) mmvl contributors. All rights reserved.
from typing import Optional

from mmdet.datasets import CocoDataset as MMDetCocoDataset
from mmdet.datasets.api_wrappers import COCO

from mmvl.registry import DATASETS
from .checks import AnnotationError, check_coco_instances, check_exists, load_json

TOYWORLD_HINT = ('Make the toy world with `python tools/dataset_converters/make_toyworld.py '
                 '--out data/toyworld`, or see docs/en/dataset_prepare.md for real data sets')


class CheckedCOCO(COCO):
    """mmdet's COCO API reading its json through :func:`check_coco_instances`.

    A malformed file fails with one error naming the file and the offending record, instead
    of a bare ``JSONDecodeError`` or ``KeyError`` from deep inside pycocotools.
    """

    def __init__(self, annotation_file: Optional[str] = None) -> None:
        super().__init__(annotation_file=None)
        self.annotation_file = annotation_file
        if annotation_file is None:
            return
        data = load_json(annotation_file)
        check_coco_instances(data, annotation_file)
        self.dataset = data
        self.createIndex()
        self.img_ann_map = self.imgToAnns
        self.cat_img_map = self.catToImgs

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):  # noqa: B006 (mmdet's API)
        """As mmdet's, but a requested class name absent from the file is an error."""
        names = {cat['name'] for cat in self.dataset.get('categories', [])}
        missing = [name for name in cat_names if name not in names]
        if missing:
            raise AnnotationError(
                f'{self.annotation_file}: classes {missing} of the dataset metainfo are not '
                f'among its categories {sorted(names)}')
        return super().get_cat_ids(cat_names, sup_names, cat_ids)


@DATASETS.register_module()
class CocoDataset(MMDetCocoDataset):
    """mmdet's ``CocoDataset`` with clear errors for missing or malformed inputs.

    It reads the same files the same way; in addition, a missing data root or annotation file,
    a json syntax error, a record without its required keys, and classes absent from the file
    each raise one error that names the file and what is wrong.
    """

    COCOAPI = CheckedCOCO

    def __init__(self, *args, **kwargs) -> None:
        check_exists(kwargs.get('data_root'), 'data root', TOYWORLD_HINT)
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        check_exists(self.ann_file, 'annotation file', TOYWORLD_HINT)
        return super().load_data_list()
