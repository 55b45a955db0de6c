# Copyright (c) mmvl contributors. All rights reserved.
"""Action-recognition video lists: Kinetics-400 videos and Something-Something V2 rawframes.

The list formats are mmaction2's (the ones its data preparation scripts write for Kinetics-400
and Something-Something V2):

- video list, one clip a line: ``<video path> <label>``, e.g. ``train/abseiling/x.mp4 0``;
- rawframe list, one clip a line: ``<frame folder> <number of frames> <label>``, e.g.
  ``12345 47 98`` (frames ``img_00001.jpg`` ... in the folder).

mmaction2 1.2.0 is not a dependency: its PyPI wheel lacks ``mmaction.models.localizers.drn``, so
``import mmaction.models`` fails; these two loaders and ``mmvl.datasets.transforms.video``
are the small equivalents mmvl needs.
"""
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset

from mmvl.registry import DATASETS
from .checks import AnnotationError, check_exists


class _ActionListDataset(BaseDataset):
    """Shared parsing of a text list: one clip per line, label last."""

    #: Fields per line, for the messages.
    line_format = ''
    #: Number of whitespace-separated fields per line.
    num_fields = 0

    def __init__(self, ann_file: str, data_prefix: Optional[dict] = None,
                 num_classes: Optional[int] = None, **kwargs) -> None:
        self.num_classes = num_classes
        super().__init__(ann_file=ann_file, data_prefix=data_prefix or dict(video=''),
                         **kwargs)

    def _parse(self, fields: List[str], where: str) -> dict:
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        """Read the list; a malformed line raises one ``AnnotationError`` naming it."""
        check_exists(self.ann_file, 'annotation list')
        data_list = []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                where = f'{self.ann_file}, line {lineno} ({line.strip()!r})'
                fields = line.split()
                if len(fields) != self.num_fields:
                    raise AnnotationError(f'{where}: expected "{self.line_format}"')
                info = self._parse(fields, where)
                try:
                    info['gt_label'] = int(fields[-1])
                except ValueError:
                    raise AnnotationError(f'{where}: the label {fields[-1]!r} is not an '
                                          'integer') from None
                if info['gt_label'] < 0 or (self.num_classes is not None
                                            and info['gt_label'] >= self.num_classes):
                    raise AnnotationError(f'{where}: label {info["gt_label"]} outside '
                                          f'[0, {self.num_classes})')
                data_list.append(info)
        return data_list


@DATASETS.register_module()
class VideoDataset(_ActionListDataset):
    """Videos listed as ``<path> <label>`` (Kinetics-400 layout; mmaction2 ``VideoDataset``).

    Each sample gets ``filename`` (``data_prefix['video']`` joined with the path) and
    ``gt_label``. Decode with ``PyAVInit`` + ``SampleFrames`` + ``PyAVDecode``; a missing video
    is reported by ``PyAVInit`` when the sample is first read.

    Args:
        ann_file (str): The list file.
        data_prefix (dict): ``dict(video=<folder of the videos>)``. Defaults to
            ``dict(video='')``.
        num_classes (int, optional): Labels must lie in ``[0, num_classes)``. Defaults to None.
        **kwargs: ``BaseDataset`` arguments (``data_root``, ``pipeline``, ``test_mode``, ...).
    """

    line_format = '<video path> <label>'
    num_fields = 2

    def _parse(self, fields: List[str], where: str) -> dict:
        return dict(filename=osp.join(self.data_prefix.get('video', ''), fields[0]))


@DATASETS.register_module()
class RawframeDataset(_ActionListDataset):
    """Frame folders listed as ``<folder> <frames> <label>`` (SSv2 rawframes; mmaction2
    ``RawframeDataset``).

    Each sample gets ``frame_dir``, ``total_frames``, ``gt_label``, ``filename_tmpl`` and
    ``offset`` (the number of the first frame file). Decode with ``SampleFrames`` +
    ``RawFrameDecode``.

    Args:
        ann_file (str): The list file.
        data_prefix (dict): ``dict(img=<folder of the frame folders>)``. Defaults to
            ``dict(img='')``.
        filename_tmpl (str): Frame file name template. Defaults to ``'img_{:05}.jpg'``.
        start_index (int): Number of the first frame file. Defaults to 1.
        num_classes (int, optional): Labels must lie in ``[0, num_classes)``. Defaults to None.
        **kwargs: ``BaseDataset`` arguments.
    """

    line_format = '<frame folder> <number of frames> <label>'
    num_fields = 3

    def __init__(self, ann_file: str, data_prefix: Optional[dict] = None,
                 filename_tmpl: str = 'img_{:05}.jpg', start_index: int = 1,
                 **kwargs) -> None:
        self.filename_tmpl = filename_tmpl
        self.start_index = start_index
        super().__init__(ann_file=ann_file, data_prefix=data_prefix or dict(img=''), **kwargs)

    def _parse(self, fields: List[str], where: str) -> dict:
        try:
            total = int(fields[1])
        except ValueError:
            raise AnnotationError(f'{where}: the frame count {fields[1]!r} is not an '
                                  'integer') from None
        if total < 1:
            raise AnnotationError(f'{where}: the frame count must be positive')
        return dict(frame_dir=osp.join(self.data_prefix.get('img', ''), fields[0]),
                    total_frames=total, filename_tmpl=self.filename_tmpl,
                    offset=self.start_index)
