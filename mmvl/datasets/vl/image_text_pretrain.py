# Copyright (c) mmvl contributors. All rights reserved.
"""Image-caption pairs for vision-language pre-training, read from the public files.

- COCO captions (``captions_{train,val}2014.json``): ``images[{id, file_name, coco_url}]``,
  ``annotations[{image_id, caption}]``, about 5 captions per image.
- Visual Genome region captions (``region_descriptions.json``): ``[{id, regions[{region_id,
  image_id, phrase, x, y, width, height}]}]``, about 50 phrases per image, each used as a
  caption of the whole image (Pixel-BERT Sec. 4.1; SOHO's ``vg_cap_pre.json``).
- Conceptual Captions (CC3M, ``Train_GCC-training.tsv``): ``caption<TAB>url`` per line.
- SBU Captions: ``SBU_captioned_photo_dataset_urls.txt`` and ``..._captions.txt``, one url /
  caption per line, in the same order.

Web images (CC3M, SBU) are not part of the files: they are found under ``data_prefix`` by
``image_name`` (a format string of the line index, e.g. ``'{index:08d}.jpg'``), and pairs whose
image was not downloaded are dropped with a logged count.

COCO images of the Karpathy val / test splits (the retrieval test images) are left out with
``karpathy_exclude=<dataset_coco.json>`` (Pixel-BERT Sec. 4.1 pre-trains on COCO train + restval
only); VG images are matched to COCO through ``coco_id`` of the official ``image_data.json``.

SOHO (Huang et al., CVPR 2021; code ``VisualLanguagePretrain.py``, ``sentence_group=4``) reads
4 captions of an image per item and shares one CNN pass among them: ``group_size=k`` returns
entries with ``texts`` (k captions of one image) instead of ``text``.
"""
import os.path as osp
from collections import OrderedDict
from typing import List, Optional

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from mmvl.registry import DATASETS
from ..checks import AnnotationError, check_exists, load_json, require_keys


def karpathy_eval_coco_ids(path: str, splits=('val', 'test')) -> set:
    """COCO ids (``cocoid``) of the images in the given splits of a Karpathy json."""
    data = load_json(path)
    require_keys(data, ('images', ), f'{path} (Karpathy split)')
    ids = set()
    for i, img in enumerate(data['images']):
        require_keys(img, ('split', 'cocoid'), f'{path}: images[{i}]')
        if img['split'] in splits:
            ids.add(int(img['cocoid']))
    return ids


def group_captions(pairs: List[dict], group_size: int) -> List[dict]:
    """Group the captions of each image k at a time.

    Captions of one image are split in order into chunks of ``group_size``; a short last chunk
    is filled up with the image's first captions (wrapping around), so every entry holds
    exactly ``group_size`` captions. Images keep the order of their first pair.

    Args:
        pairs (list[dict]): ``img_path``, ``image_id``, ``text`` per pair.
        group_size (int): Captions per entry.

    Returns:
        list[dict]: ``img_path``, ``image_id``, ``texts`` (list of ``group_size`` str).
    """
    by_image = OrderedDict()
    for pair in pairs:
        by_image.setdefault(pair['image_id'], (pair['img_path'], []))[1].append(pair['text'])
    groups = []
    for image_id, (img_path, texts) in by_image.items():
        for start in range(0, len(texts), group_size):
            chunk = [texts[(start + i) % len(texts)] for i in range(group_size)]
            groups.append(dict(img_path=img_path, image_id=image_id, texts=chunk))
    return groups


class ImageTextPretrainDataset(BaseDataset):
    """Base of the caption sets: ``load_pairs`` reads the file, this class groups the pairs.

    Entries: ``img_path``, ``image_id`` and ``text`` (str), or ``texts`` (list of
    ``group_size`` str) when ``group_size`` is set.

    Args:
        ann_file (str): The annotation file.
        data_prefix (str | dict): Image folder. Defaults to ''.
        group_size (int, optional): Captions per entry (SOHO: 4). Defaults to None (one
            caption per entry).
        karpathy_exclude (str, optional): A Karpathy ``dataset_coco.json``; COCO images of its
            val and test splits are left out (COCO and VG sets). Defaults to None.
        **kwargs: Other arguments of mmpretrain's ``BaseDataset`` (``data_root``, pipeline).
    """

    def __init__(self, ann_file: str, data_prefix='', group_size: Optional[int] = None,
                 karpathy_exclude: Optional[str] = None, **kwargs) -> None:
        if group_size is not None and group_size < 1:
            raise ValueError(f'group_size must be >= 1, got {group_size}')
        self.group_size = group_size
        self.karpathy_exclude = karpathy_exclude
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def excluded_coco_ids(self) -> set:
        """COCO ids of the Karpathy val / test images (empty without ``karpathy_exclude``)."""
        if not self.karpathy_exclude:
            return set()
        path = self.karpathy_exclude if osp.isabs(self.karpathy_exclude) else \
            osp.join(self.data_root, self.karpathy_exclude)
        return karpathy_eval_coco_ids(path)

    def load_pairs(self) -> List[dict]:
        """``img_path``, ``image_id``, ``text`` of every pair of the file."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        pairs = self.load_pairs()
        return group_captions(pairs, self.group_size) if self.group_size else pairs


@DATASETS.register_module()
class COCOCaptionPretrain(ImageTextPretrainDataset):
    """COCO captions (official ``captions_*.json``) as image-text pairs.

    The image path is ``<data_prefix>/<last two parts of coco_url>`` (``train2014/COCO_...jpg``,
    as mmpretrain's ``COCORetrieval`` does), or ``<data_prefix>/<file_name>`` without a url.
    """

    def load_pairs(self) -> List[dict]:
        data = load_json(self.ann_file)
        require_keys(data, ('images', 'annotations'), f'{self.ann_file} (COCO captions)')
        prefix = self.data_prefix['img_path']
        paths = {}
        for i, img in enumerate(data['images']):
            require_keys(img, ('id', 'file_name'), f'{self.ann_file}: images[{i}]')
            rel = img['coco_url'].rsplit('/', 2)[-2:] if img.get('coco_url') else \
                [img['file_name']]
            paths[img['id']] = osp.join(prefix, *rel)
        excluded = self.excluded_coco_ids()
        pairs = []
        for i, ann in enumerate(data['annotations']):
            where = f'{self.ann_file}: annotations[{i}]'
            require_keys(ann, ('image_id', 'caption'), where)
            if ann['image_id'] not in paths:
                raise AnnotationError(f'{where}: image_id {ann["image_id"]} is not in images')
            if ann['image_id'] in excluded:
                continue
            pairs.append(dict(img_path=paths[ann['image_id']], image_id=ann['image_id'],
                              text=ann['caption'].strip()))
        return pairs


@DATASETS.register_module()
class VGRegionCaptionPretrain(ImageTextPretrainDataset):
    """Visual Genome region descriptions as captions of the whole image.

    Images are ``<data_prefix>/<image_id>.jpg`` (the official ``VG_100K`` and ``VG_100K_2``
    folders merged, as mmpretrain's ``VisualGenomeQA`` expects). Each pair also carries its
    ``region`` box (x, y, w, h).

    Args:
        image_ids (list[int] | str, optional): Keep only these images (or a text file with one
            id a line). Defaults to None.
        image_data (str, optional): The official ``image_data.json`` (``image_id``,
            ``coco_id``); needed by ``karpathy_exclude``. Defaults to None.
        **kwargs: See :class:`ImageTextPretrainDataset`.
    """

    def __init__(self, *args, image_ids=None, image_data: Optional[str] = None,
                 **kwargs) -> None:
        self.image_ids = image_ids
        self.image_data = image_data
        super().__init__(*args, **kwargs)

    def _excluded_vg_ids(self) -> set:
        excluded = self.excluded_coco_ids()
        if not excluded:
            return set()
        if not self.image_data:
            raise ValueError('karpathy_exclude on Visual Genome needs image_data '
                             '(image_data.json maps VG images to COCO ids)')
        path = self.image_data if osp.isabs(self.image_data) else \
            osp.join(self.data_root, self.image_data)
        records = load_json(path)
        if not isinstance(records, list):
            raise AnnotationError(f'{path} should hold a list of images (VG image_data.json)')
        return {r['image_id'] for r in records
                if isinstance(r, dict) and r.get('coco_id') in excluded}

    def _kept_ids(self) -> Optional[set]:
        if self.image_ids is None:
            return None
        if isinstance(self.image_ids, str):
            path = self.image_ids if osp.isabs(self.image_ids) else \
                osp.join(self.data_root, self.image_ids)
            check_exists(path, 'image id list')
            with open(path) as f:
                return {int(line) for line in f if line.strip()}
        return set(int(i) for i in self.image_ids)

    def load_pairs(self) -> List[dict]:
        data = load_json(self.ann_file)
        if not isinstance(data, list):
            raise AnnotationError(f'{self.ann_file} should hold a list of images with regions '
                                  '(Visual Genome region_descriptions.json)')
        keep = self._kept_ids()
        drop = self._excluded_vg_ids()
        prefix = self.data_prefix['img_path']
        pairs = []
        for i, image in enumerate(data):
            require_keys(image, ('regions', ), f'{self.ann_file}: [{i}]')
            for j, region in enumerate(image['regions']):
                where = f'{self.ann_file}: [{i}].regions[{j}]'
                require_keys(region, ('image_id', 'phrase'), where)
                image_id = region['image_id']
                if (keep is not None and image_id not in keep) or image_id in drop:
                    continue
                pairs.append(dict(
                    img_path=osp.join(prefix, f'{image_id}.jpg'), image_id=image_id,
                    text=region['phrase'].strip(),
                    region=[region.get(k, 0) for k in ('x', 'y', 'width', 'height')]))
        return pairs


class WebCaptionPretrain(ImageTextPretrainDataset):
    """Base of the web caption lists: images named by line index, missing ones dropped.

    Args:
        image_name (str): Format of an image's file name under ``data_prefix``, with the
            fields ``index`` (0-based line) and ``url``. Defaults to ``'{index:08d}.jpg'``.
        skip_missing (bool): Drop pairs whose image file does not exist (and log how many).
            Defaults to True.
        **kwargs: See :class:`ImageTextPretrainDataset`.
    """

    def __init__(self, *args, image_name: str = '{index:08d}.jpg', skip_missing: bool = True,
                 **kwargs) -> None:
        self.image_name = image_name
        self.skip_missing = skip_missing
        super().__init__(*args, **kwargs)

    def read_lines(self) -> List[tuple]:
        """(caption, url) per line of the source files."""
        raise NotImplementedError

    def load_pairs(self) -> List[dict]:
        prefix = self.data_prefix['img_path']
        pairs, missing = [], 0
        for index, (caption, url) in enumerate(self.read_lines()):
            path = osp.join(prefix, self.image_name.format(index=index, url=url))
            if self.skip_missing and not osp.isfile(path):
                missing += 1
                continue
            pairs.append(dict(img_path=path, image_id=index, text=caption, url=url))
        if missing:
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: {missing} of {missing + len(pairs)} images of '
                f'{self.ann_file} are not under {prefix}; their pairs are dropped')
        if not pairs:
            raise FileNotFoundError(f'no image of {self.ann_file} found under {prefix} '
                                    f'(names like {self.image_name.format(index=0, url="")})')
        return pairs


@DATASETS.register_module()
class CC3MPretrain(WebCaptionPretrain):
    """Conceptual Captions 3M: a TSV of ``caption<TAB>url`` lines (no header)."""

    def read_lines(self) -> List[tuple]:
        check_exists(self.ann_file, 'CC3M tsv')
        rows = []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                fields = line.rstrip('\n').split('\t')
                if len(fields) != 2:
                    raise AnnotationError(f'{self.ann_file}, line {lineno}: expected '
                                          f'"caption<TAB>url", got {len(fields)} field(s)')
                rows.append((fields[0].strip(), fields[1].strip()))
        return rows


@DATASETS.register_module()
class SBUPretrain(WebCaptionPretrain):
    """SBU Captions: ``ann_file`` is the caption list; ``url_file`` the url list (same order).

    Args:
        url_file (str): ``SBU_captioned_photo_dataset_urls.txt``.
        **kwargs: See :class:`WebCaptionPretrain`; ``ann_file`` is
            ``SBU_captioned_photo_dataset_captions.txt``.
    """

    def __init__(self, *args, url_file: str, **kwargs) -> None:
        self.url_file = url_file
        super().__init__(*args, **kwargs)

    def read_lines(self) -> List[tuple]:
        url_file = self.url_file if osp.isabs(self.url_file) else \
            osp.join(self.data_root, self.url_file)
        check_exists(self.ann_file, 'SBU caption list')
        check_exists(url_file, 'SBU url list')
        with open(self.ann_file, encoding='utf-8') as f:
            captions = [line.strip() for line in f if line.strip()]
        with open(url_file, encoding='utf-8') as f:
            urls = [line.strip() for line in f if line.strip()]
        if len(captions) != len(urls):
            raise AnnotationError(f'{self.ann_file} has {len(captions)} captions but '
                                  f'{url_file} has {len(urls)} urls')
        return list(zip(captions, urls))
