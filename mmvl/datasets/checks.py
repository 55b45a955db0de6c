# Copyright (c) mmvl contributors. All rights reserved.
"""Input checks that turn bad data into one error naming the file, key or value at fault."""
import json
import os.path as osp
from typing import Any, Iterable, Optional


class AnnotationError(ValueError):
    """An annotation file that cannot be read or does not follow its format."""


def check_exists(path: Optional[str], what: str, hint: str = '') -> None:
    """Raise ``FileNotFoundError`` naming ``what`` and ``path`` when ``path`` is missing."""
    if path and not osp.exists(path):
        raise FileNotFoundError(f'{what} not found: {path}' + (f'. {hint}' if hint else ''))


def load_json(path: str) -> Any:
    """Load a json file; a syntax error names the file, line and column."""
    check_exists(path, 'annotation file')
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise AnnotationError(
            f'malformed json in {path}: {e.msg} at line {e.lineno}, column {e.colno}') from None
    except UnicodeDecodeError as e:
        raise AnnotationError(f'{path} is not UTF-8 text ({e.reason}); is it a json file?') \
            from None


def require_keys(record: Any, keys: Iterable[str], where: str) -> None:
    """Check that ``record`` is a dict holding ``keys``; the error names ``where``."""
    if not isinstance(record, dict):
        raise AnnotationError(f'{where} should be a json object, got {type(record).__name__}')
    missing = [k for k in keys if k not in record]
    if missing:
        raise AnnotationError(f'{where} lacks the key(s) {missing}')


def check_coco_instances(data: Any, path: str) -> None:
    """Check the parts of a COCO instances file that mmdet's loader relies on.

    Args:
        data (Any): The parsed json.
        path (str): The file it came from, for the messages.
    """
    require_keys(data, ('images', 'annotations', 'categories'), f'{path} (COCO instances)')
    image_ids = set()
    for i, img in enumerate(data['images']):
        require_keys(img, ('id', 'file_name', 'width', 'height'), f'{path}: images[{i}]')
        image_ids.add(img['id'])
    category_ids = set()
    for i, cat in enumerate(data['categories']):
        require_keys(cat, ('id', 'name'), f'{path}: categories[{i}]')
        category_ids.add(cat['id'])
    for i, ann in enumerate(data['annotations']):
        where = f"{path}: annotations[{i}] (id {ann.get('id', '?') if isinstance(ann, dict) else '?'})"
        require_keys(ann, ('id', 'image_id', 'category_id', 'bbox'), where)
        bbox = ann['bbox']
        if not (isinstance(bbox, (list, tuple)) and len(bbox) == 4
                and all(isinstance(v, (int, float)) for v in bbox)):
            raise AnnotationError(f'{where}: bbox should be 4 numbers [x, y, w, h], got {bbox!r}')
        if ann['image_id'] not in image_ids:
            raise AnnotationError(f"{where}: image_id {ann['image_id']} is not in images")
        if ann['category_id'] not in category_ids:
            raise AnnotationError(f"{where}: category_id {ann['category_id']} is not in "
                                  'categories')
