# Copyright (c) mmvl contributors. All rights reserved.
"""RefCOCO / RefCOCO+ / RefCOCOg in the refer-API layout, one entry per referred object.

UNINEXT, "Universal Instance Perception as Object Discovery and Retrieval" (Yan et al.,
CVPR 2023, https://arxiv.org/abs/2303.06674) trains referring expression comprehension and
segmentation on one image entry per referred object with a single category "object", and
samples one of the object's expressions per iteration; it tests every expression on its own.
"""
import os.path as osp
import pickle
from typing import List, Mapping, Optional, Sequence, Union

from mmdet.datasets import BaseDetDataset
from mmengine.fileio import get_file_backend

from mmvl.registry import DATASETS
from .checks import AnnotationError, check_exists, load_json, require_keys
from .coco import TOYWORLD_HINT
from .compositions import (ConceptParser, SeenCompositions, Unit, as_units, build_parser)


def load_refs(path: str) -> list:
    """Load a refer-API ``refs(<splitby>).p`` pickle (a list of ref dicts).

    The released files were pickled by Python 2; byte strings that are not ASCII are read
    as latin-1, which is what Python 2 wrote.
    """
    check_exists(path, 'refs file', TOYWORLD_HINT)
    try:
        with open(path, 'rb') as f:
            try:
                refs = pickle.load(f)
            except UnicodeDecodeError:
                f.seek(0)
                refs = pickle.load(f, encoding='latin1')
    except (pickle.UnpicklingError, EOFError) as e:
        raise AnnotationError(f'{path} is not a refer-API refs pickle ({e})') from None
    if not isinstance(refs, list):
        raise AnnotationError(f'{path} should hold a list of refs, got {type(refs).__name__}')
    return refs


@DATASETS.register_module()
class RefCOCODataset(BaseDetDataset):
    """Referring expressions of the refer API (https://github.com/lichengunc/refer).

    Reads ``instances.json`` (COCO instances of every image the refs use) and
    ``refs(<splitby>).p`` (the refs: ``ref_id``, ``ann_id``, ``split``, ``sentences``), as in
    UNINEXT (Yan et al., CVPR 2023). Unlike mmdet's ``RefCocoDataset``, which merges the refs
    of an image into one entry and picks the sentence when it loads the file, each entry here
    is one referred object:

    - ``per_sentence=False`` (training): one entry per ref, ``texts`` holds all its
      expressions; ``SampleExpression`` picks one each time the entry is read.
    - ``per_sentence=True`` (testing): one entry per (ref, expression), ``texts`` holds that
      expression only, so every expression is scored once.

    Each entry has ``img_path``, ``img_id``, ``height``, ``width``, ``ref_id``,
    ``task='grounding'``, ``texts`` (list of str) and ``instances``: one dict with ``bbox``
    (x1, y1, x2, y2 from the COCO x, y, w, h), ``bbox_label`` 0 (the only class, "object"),
    ``mask`` (the COCO segmentation, polygons or RLE) and ``ignore_flag`` 0. The expression
    is the refer API's processed ``sent`` (lower case, no punctuation), else ``raw``.

    For MCRES (Xu et al., CVPR 2023, https://arxiv.org/abs/2304.04415) each entry also has
    ``sentence_compositions`` (one list of units per expression, aligned with ``texts``)
    and ``compositions``: the units of the entry's expression (``per_sentence=True``) or
    their union in order of first mention (``per_sentence=False``). Units are tuples,
    (attribute, noun) and (noun, relation, noun). ``SampleExpression`` sets
    ``compositions`` to the picked expression's units.

    Args:
        data_root (str): Root of ``ann_file``, ``split_file`` and ``data_prefix``.
        ann_file (str): The instances json, e.g. ``'refcoco/instances.json'``.
        split_file (str): The refs pickle, e.g. ``'refcoco/refs(unc).p'``.
        split (str): Which refs to read: ``'train'``, ``'val'``, ``'testA'``, ``'testB'``
            (RefCOCO, RefCOCO+) or ``'test'`` (RefCOCOg umd). Defaults to ``'train'``.
        data_prefix (dict, optional): ``dict(img_path=...)``, the image folder that the
            instances' ``file_name`` is relative to. None means ``dict(img_path='')``.
            Defaults to None.
        per_sentence (bool): One entry per expression instead of one per ref.
            Defaults to False.
        compositions_from (str, optional): Source of the compositions: ``'auto'`` takes a
            sentence's own ``compositions`` field (the toy world's refs have one) and
            parses the others with ``ConceptParser``; ``'refs'`` requires the field;
            ``'parser'`` always parses; None adds no compositions. Defaults to ``'auto'``.
        parser (dict | ConceptParser, optional): ``ConceptParser`` arguments (or the
            parser); None uses its defaults. Defaults to None.
        novelty (dict, optional): Keep only the expressions of a given level of
            compositional novelty (``mmvl.datasets.compositions.novelty_level``) with respect
            to every expression of another split of the same refs file:
            ``dict(seen_split='train', levels=(1, 2))`` gives the novel-composition test set,
            ``levels=(0, )`` the seen-composition one; optional keys ``kinds`` (composition
            kind -> level, default pair 1, triplet 2) and ``attribute_kinds``. Needs
            ``per_sentence=True``. Each kept entry records its ``novelty_level``. Defaults to
            None: no filter.
        **kwargs: Passed to mmdet's ``BaseDetDataset`` (``pipeline``, ``test_mode``,
            ``backend_args``, ...).
    """

    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 split_file: str,
                 split: str = 'train',
                 data_prefix: Optional[dict] = None,
                 per_sentence: bool = False,
                 compositions_from: Optional[str] = 'auto',
                 parser: Union[dict, ConceptParser, None] = None,
                 novelty: Optional[Mapping] = None,
                 **kwargs) -> None:
        check_exists(data_root, 'data root', TOYWORLD_HINT)
        if novelty is not None:
            novelty = dict(novelty)
            unknown = set(novelty) - {'seen_split', 'levels', 'kinds', 'attribute_kinds'}
            if unknown or 'seen_split' not in novelty or 'levels' not in novelty:
                raise ValueError(
                    "novelty must be dict(seen_split=..., levels=...) with optional 'kinds' "
                    f"and 'attribute_kinds', got {novelty}")
            if not per_sentence or compositions_from is None:
                raise ValueError('novelty grades single expressions: it needs per_sentence=True '
                                 'and compositions_from set')
        self.novelty = novelty
        if compositions_from not in ('auto', 'refs', 'parser', None):
            raise ValueError("compositions_from must be 'auto', 'refs', 'parser' or None, got "
                             f'{compositions_from!r}')
        self.compositions_from = compositions_from
        self.parser_cfg = parser
        self._parser: Optional[ConceptParser] = None
        self.split_file = split_file
        self.split = split
        self.per_sentence = per_sentence
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=dict(img_path='') if data_prefix is None else data_prefix,
            **kwargs)

    def _join_prefix(self) -> None:
        """Join ``split_file`` with ``data_root`` too (the base class joins the others)."""
        if self.split_file and self.data_root and not osp.isabs(self.split_file):
            self.split_file = osp.join(self.data_root, self.split_file)
        super()._join_prefix()

    def load_data_list(self) -> List[dict]:
        """Read the refs of ``split``; see the class docstring for the entries."""
        check_exists(self.ann_file, 'instances file', TOYWORLD_HINT)
        instances = load_json(self.ann_file)
        require_keys(instances, ('images', 'annotations'), f'{self.ann_file} (COCO instances)')
        refs = load_refs(self.split_file)
        images = {img['id']: img for img in instances['images']}
        anns = {ann['id']: ann for ann in instances['annotations']}

        selected = [ref for ref in refs if isinstance(ref, dict) and ref.get('split') == self.split]
        if not selected:
            splits = sorted({str(ref.get('split')) for ref in refs if isinstance(ref, dict)})
            raise AnnotationError(f'{self.split_file} has no refs of split {self.split!r}; '
                                  f'its splits are {splits}')
        join_path = get_file_backend(self.data_prefix['img_path']).join_path
        data_list = []
        for ref in selected:
            where = f"{self.split_file}: ref {ref.get('ref_id', '?')}"
            require_keys(ref, ('ref_id', 'ann_id', 'sentences'), where)
            ann = anns.get(ref['ann_id'])
            if ann is None:
                raise AnnotationError(f"{where} refers to ann_id {ref['ann_id']}, which is not "
                                      f'an annotation of {self.ann_file}')
            img = images.get(ann['image_id'])
            if img is None:
                raise AnnotationError(f"{self.ann_file}: annotation {ann['id']} has image_id "
                                      f"{ann['image_id']}, which is not in its images")
            texts = [_sentence(s, where) for s in ref['sentences']]
            if not texts:
                raise AnnotationError(f'{where} has no sentences')
            x, y, w, h = ann['bbox']
            instance = dict(
                bbox=[x, y, x + w, y + h], bbox_label=0, mask=ann['segmentation'], ignore_flag=0)
            entry = dict(
                img_path=join_path(self.data_prefix['img_path'], img['file_name']),
                img_id=img['id'],
                height=img['height'],
                width=img['width'],
                ref_id=ref['ref_id'],
                task='grounding',
                instances=[instance])
            if self.compositions_from is None:
                groups = [[t] for t in texts] if self.per_sentence else [texts]
                data_list.extend(dict(entry, texts=group) for group in groups)
                continue
            units = [self._sentence_compositions(s, t, where)
                     for s, t in zip(ref['sentences'], texts)]
            if self.per_sentence:
                data_list.extend(
                    dict(entry, texts=[text], sentence_compositions=[unit],
                         compositions=list(unit)) for text, unit in zip(texts, units))
            else:
                data_list.append(
                    dict(entry, texts=texts, sentence_compositions=units,
                         compositions=_union(units)))
        if self.novelty is not None:
            data_list = self._filter_by_novelty(data_list, refs)
        return data_list

    def _filter_by_novelty(self, data_list: List[dict], refs: list) -> List[dict]:
        """Keep the entries whose novelty level w.r.t. ``novelty['seen_split']`` is listed."""
        seen_split, levels = self.novelty['seen_split'], set(self.novelty['levels'])
        seen_refs = [r for r in refs if isinstance(r, dict) and r.get('split') == seen_split]
        if not seen_refs:
            raise AnnotationError(f'{self.split_file} has no refs of split {seen_split!r} '
                                  "(novelty['seen_split'])")
        units = {u for ref in seen_refs for s in ref.get('sentences', ())
                 for u in self._sentence_compositions(
                     s, _sentence(s, f"{self.split_file}: ref {ref.get('ref_id', '?')}"),
                     f"{self.split_file}: ref {ref.get('ref_id', '?')}")}
        seen = SeenCompositions([u for u in units if len(u) == 2],
                                [u for u in units if len(u) == 3],
                                levels=self.novelty.get('kinds'),
                                attribute_kinds=self.novelty.get('attribute_kinds'))
        kept = []
        for entry in data_list:
            level = seen.novelty_level(entry['compositions'])
            if level in levels:
                kept.append(dict(entry, novelty_level=level))
        if not kept:
            raise AnnotationError(
                f'no expression of split {self.split!r} of {self.split_file} has a novelty level '
                f'in {sorted(levels)} w.r.t. split {seen_split!r}')
        return kept

    def _sentence_compositions(self, sentence: dict, text: str, where: str) -> List[Unit]:
        """The units of one expression: its ``compositions`` field or the parser's."""
        if self.compositions_from != 'parser' and 'compositions' in sentence:
            return as_units(sentence['compositions'],
                            f"{where}: compositions of sentence {sentence.get('sent_id', '?')}")
        if self.compositions_from == 'refs':
            raise AnnotationError(f"{where}: a sentence has no 'compositions' (needed by "
                                  "compositions_from='refs'; use 'auto' to parse it)")
        if self._parser is None:
            self._parser = build_parser(self.parser_cfg)
        return self._parser.compositions(text)


def _union(groups) -> List[Unit]:
    """The units of several expressions, each once, in order of first mention."""
    return list(dict.fromkeys(unit for units in groups for unit in units))


def _sentence(sentence: dict, where: str) -> str:
    """The processed expression of one refer-API sentence (``sent``, else ``raw``)."""
    if not isinstance(sentence, dict) or not (sentence.get('sent') or sentence.get('raw')):
        raise AnnotationError(f"{where}: a sentence lacks 'sent' and 'raw': {sentence!r}")
    return sentence.get('sent') or sentence['raw']
