# Copyright (c) mmvl contributors. All rights reserved.
"""Region features in the bottom-up-attention layout: writing and reading.

Bottom-up attention (Anderson et al., CVPR 2018) ships its features as a tsv whose rows hold
``image_id, image_w, image_h, num_boxes, boxes, features`` (the arrays base64-encoded
float32); "Learning Rich Image Region Representation for Visual Question Answering" (arXiv
1910.13077) feeds VQA heads with such region features from stronger detectors. mmvl writes
one ``<image_id>.npz`` per image with the same fields (plus the detector's object and
attribute predictions, named as in LXMERT's tsv: ``objects_id``, ``objects_conf``,
``attrs_id``, ``attrs_conf``), or the tsv itself; :class:`RegionFeatureReader` reads both.
"""
import base64
import csv
import os
import os.path as osp
import sys
import zipfile
from typing import Dict, Optional

import numpy as np

from .checks import AnnotationError

#: Fields of the bottom-up-attention tsv, in its column order.
BUTD_FIELDS = ('image_id', 'image_w', 'image_h', 'num_boxes', 'boxes', 'features')
#: Per-region predictions written after them.
PREDICTION_FIELDS = ('objects_id', 'objects_conf', 'attrs_id', 'attrs_conf')
_ARRAY_DTYPES = dict(boxes=np.float32, features=np.float32, objects_id=np.int64,
                     objects_conf=np.float32, attrs_id=np.int64, attrs_conf=np.float32)


def check_region_record(record: dict, source: str) -> dict:
    """Check one image's record (fields present, ``num_boxes`` agreeing with the arrays).

    Args:
        record (dict): ``image_id, image_w, image_h, num_boxes, boxes, features`` and
            optionally the prediction fields.
        source (str): File it came from, for the error messages.

    Returns:
        dict: The record with ints for the scalars and arrays of the layout's dtypes.
    """
    missing = [k for k in BUTD_FIELDS if k not in record]
    if missing:
        raise AnnotationError(f'{source}: region features lack the field(s) {missing}')
    out = {k: int(np.asarray(record[k])) for k in BUTD_FIELDS[:4]}
    num = out['num_boxes']
    for key, dtype in _ARRAY_DTYPES.items():
        if key not in record:
            continue
        value = np.asarray(record[key], dtype=dtype)
        if value.shape[:1] != (num, ):
            raise AnnotationError(f'{source}: num_boxes is {num} but {key} has shape '
                                  f'{value.shape}')
        out[key] = value
    if out['boxes'].ndim != 2 or out['boxes'].shape[1] != 4:
        raise AnnotationError(f'{source}: boxes should be num_boxes x 4, got '
                              f'{out["boxes"].shape}')
    if out['features'].ndim != 2:
        raise AnnotationError(f'{source}: features should be num_boxes x C, got '
                              f'{out["features"].shape}')
    return out


def write_region_npz(out_dir: str, record: dict) -> str:
    """Write ``<out_dir>/<image_id>.npz`` atomically; returns its path."""
    record = check_region_record(record, f'record of image {record.get("image_id")}')
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, f'{record["image_id"]}.npz')
    tmp = path + '.tmp.npz'
    np.savez(tmp, **record)
    os.replace(tmp, path)
    return path


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode('ascii')


def append_region_tsv(path: str, record: dict) -> None:
    """Append one record to a bottom-up-attention tsv (base64 float32 arrays, prediction
    columns after the six BUTD ones)."""
    record = check_region_record(record, f'record of image {record.get("image_id")}')
    row = [str(record[k]) for k in BUTD_FIELDS[:4]]
    row += [_b64(record['boxes']), _b64(record['features'])]
    row += [_b64(record[k]) if k in record else '' for k in PREDICTION_FIELDS]
    with open(path, 'a', newline='') as f:
        csv.writer(f, delimiter='\t').writerow(row)


class RegionFeatureReader:
    """Region features of an image by id, from an npz folder or a BUTD tsv.

    Args:
        path (str): A folder of ``<image_id>.npz`` files, or a ``.tsv`` file (the whole tsv
            is indexed on first use).
        max_boxes (int, optional): Keep at most this many regions (the first ones, the
            most confident in mmvl's dumps). Defaults to None (all).
    """

    def __init__(self, path: str, max_boxes: Optional[int] = None) -> None:
        if not osp.exists(path):
            raise FileNotFoundError(f'region features not found: {path}; dump them with '
                                    'tools/misc/extract_region_features.py')
        self.path = path
        self.max_boxes = max_boxes
        self._tsv: Optional[Dict[int, dict]] = None

    def _load_tsv(self) -> Dict[int, dict]:
        csv.field_size_limit(sys.maxsize)
        table = {}
        with open(self.path, newline='') as f:
            for lineno, row in enumerate(csv.reader(f, delimiter='\t'), 1):
                where = f'{self.path}: line {lineno}'
                if len(row) < len(BUTD_FIELDS):
                    raise AnnotationError(f'{where} has {len(row)} columns, expected at '
                                          f'least {len(BUTD_FIELDS)} ({BUTD_FIELDS})')
                try:
                    num = int(row[3])
                    rec = dict(zip(BUTD_FIELDS[:4], map(int, row[:4])))
                    rec['boxes'] = np.frombuffer(base64.b64decode(row[4]),
                                                 np.float32).reshape(num, 4)
                    rec['features'] = np.frombuffer(base64.b64decode(row[5]),
                                                    np.float32).reshape(num, -1)
                    for key, text in zip(PREDICTION_FIELDS, row[6:]):
                        if text:
                            rec[key] = np.frombuffer(base64.b64decode(text),
                                                     _ARRAY_DTYPES[key])
                except ValueError as e:
                    raise AnnotationError(f'{where} is corrupt: {e}') from None
                table[rec['image_id']] = check_region_record(rec, where)
        return table

    def load(self, image_id: int) -> dict:
        """The checked record of ``image_id`` (see :func:`check_region_record`)."""
        if self.path.endswith('.tsv'):
            if self._tsv is None:
                self._tsv = self._load_tsv()
            if image_id not in self._tsv:
                raise KeyError(f'image {image_id} is not in {self.path}')
            record = dict(self._tsv[image_id])
        else:
            file = osp.join(self.path, f'{image_id}.npz')
            if not osp.isfile(file):
                raise FileNotFoundError(f'region features of image {image_id} not found: '
                                        f'{file}')
            try:
                with np.load(file) as data:
                    record = check_region_record(dict(data), file)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
                raise AnnotationError(f'{file} is not a readable npz file ({e})') from None
        if self.max_boxes is not None and record['num_boxes'] > self.max_boxes:
            record['num_boxes'] = self.max_boxes
            for key in _ARRAY_DTYPES:
                if key in record:
                    record[key] = record[key][:self.max_boxes]
        return record
