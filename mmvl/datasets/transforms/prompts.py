# Copyright (c) mmvl contributors. All rights reserved.
"""Prompt transforms of UNINEXT's image tasks (detection and referring expressions).

UNINEXT, "Universal Instance Perception as Object Discovery and Retrieval" (Yan et al.,
CVPR 2023, https://arxiv.org/abs/2303.06674), Sec. 3.1 and its data mapper: a detection
image is prompted with category names (GLIP-style, positives plus sampled negatives), a
grounding image with one referring expression. These transforms write the two keys the
model reads from every packed sample's metainfo:

- ``task``: ``'detection'`` or ``'grounding'``.
- ``text``: detection, a tuple of category names in prompt order that
  ``gt_bboxes_labels`` index into; grounding, the expression (one str) for the single
  ground-truth instance (label 0).

Pack them with ``dict(type='mmdet.PackDetInputs', meta_keys=(..., 'text', 'task'))``.
"""
import copy
import re
from typing import Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmvl.registry import TOKENIZERS, TRANSFORMS

#: UNINEXT skips the random crop for expressions holding one of these words.
ORDINALS = ('first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth',
            'ninth', 'tenth')
_ORDINAL_RE = re.compile(r'\b(' + '|'.join(ORDINALS) + r')\b', re.IGNORECASE)
_LEFT_RIGHT = {'left': 'right', 'right': 'left', 'leftmost': 'rightmost',
               'rightmost': 'leftmost'}
_LEFT_RIGHT_RE = re.compile(r'\b(' + '|'.join(_LEFT_RIGHT) + r')\b', re.IGNORECASE)


def has_ordinal(text: str) -> bool:
    """Whether ``text`` holds an ordinal word ("first" ... "tenth") as a whole word."""
    return _ORDINAL_RE.search(text) is not None


@TRANSFORMS.register_module()
class SampleExpression(BaseTransform):
    """Pick the referring expression of a grounding sample (UNINEXT, Yan et al., CVPR 2023).

    Reads ``texts`` (list of str, from ``RefCOCODataset``) and writes ``text`` (str) and
    ``task='grounding'``. Training draws one expression uniformly at random each time the
    sample is read; test mode takes the first (``RefCOCODataset(per_sentence=True)`` holds
    exactly one). When the sample has ``sentence_compositions`` (aligned with ``texts``),
    ``compositions`` is set to the picked expression's units (MCRES, Xu et al., CVPR 2023).

    Args:
        test_mode (bool): Take the first expression instead of a random one.
            Defaults to False.
    """

    def __init__(self, test_mode: bool = False) -> None:
        self.test_mode = test_mode

    def transform(self, results: dict) -> dict:
        texts = results.get('texts')
        if not texts or isinstance(texts, str):
            raise ValueError(f"SampleExpression needs 'texts', a non-empty list of expressions "
                             f"(from RefCOCODataset), got {texts!r} for "
                             f"{results.get('img_path', 'a sample')}")
        index = 0 if self.test_mode else np.random.randint(len(texts))
        results['text'] = texts[index]
        per_text = results.get('sentence_compositions')
        if per_text is not None:
            if len(per_text) != len(texts):
                raise ValueError(f"SampleExpression: 'sentence_compositions' has {len(per_text)} "
                                 f"entries for {len(texts)} texts of "
                                 f"{results.get('img_path', 'a sample')}")
            results['compositions'] = per_text[index]
        results['task'] = 'grounding'
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(test_mode={self.test_mode})'


@TRANSFORMS.register_module()
class SwapLeftRightOnFlip(BaseTransform):
    """Swap "left" and "right" in the expression of a mirrored image (UNINEXT, CVPR 2023).

    Place it after mmdet's ``RandomFlip``. When the image was flipped horizontally (or
    diagonally, which mirrors it too), the whole words ``left`` <-> ``right`` and
    ``leftmost`` <-> ``rightmost`` are swapped in ``results['text']`` (a capital first letter
    is kept); parts of words ("bright", "upright") are left alone. Vertical words ("top",
    "above") are not changed, so do not flip grounding samples vertically. Samples whose
    ``text`` is not a str (detection prompts) pass unchanged.
    """

    def transform(self, results: dict) -> dict:
        if 'flip' not in results:
            raise KeyError("SwapLeftRightOnFlip needs results['flip']: put it after "
                           "mmdet's RandomFlip in the pipeline")
        text = results.get('text')
        mirrored = results.get('flip_direction') in ('horizontal', 'diagonal')
        if results['flip'] and mirrored and isinstance(text, str):
            results['text'] = _LEFT_RIGHT_RE.sub(_swap_word, text)
        return results


def _swap_word(match: re.Match) -> str:
    word = match.group(0)
    swapped = _LEFT_RIGHT[word.lower()]
    return swapped.capitalize() if word[0].isupper() else swapped


@TRANSFORMS.register_module()
class CategoryPrompt(BaseTransform):
    """Category-name prompt of a detection sample (UNINEXT after GLIP; Yan et al., CVPR 2023).

    Training: the categories present in the image (positives) and up to
    ``num_sample_negative`` other categories drawn at random (negatives) form the prompt,
    shuffled when ``shuffle``; ``gt_bboxes_labels`` are remapped to positions in it, so
    ``text[label]`` is each box's class name. With ``max_tokens``, names are kept in prompt
    order while the caption "name1. name2. ..." fits the budget; later names and their boxes
    are dropped (UNINEXT keeps captions within 256 BERT tokens). Test mode: every class in
    dataset order, labels unchanged. Writes ``text`` (tuple of str) and ``task='detection'``.

    The class names come from ``classes`` or, when it is None, from ``results['text']``
    written by an mmdet dataset built with ``return_classes=True``. Passing them here (the
    config's class tuple, as in ``metainfo=dict(classes=...)``) avoids storing the names in
    every data entry.

    Args:
        classes (Sequence[str], optional): Class names in label order. Defaults to None.
        num_sample_negative (int): Most negative categories per training prompt.
            Defaults to 85 (UNINEXT).
        shuffle (bool): Shuffle the training prompt; False keeps dataset order.
            Defaults to True.
        test_mode (bool): All classes in dataset order, labels unchanged. Defaults to False.
        max_tokens (int, optional): Token budget of the caption (each name plus one token
            for its ". " separator); UNINEXT uses 254 (256 minus [CLS] and [SEP]). None
            keeps every name. Defaults to None.
        tokenizer (dict or object, optional): Counts tokens with its ``tokenize(str)``; a
            dict is built from mmvl ``TOKENIZERS`` (e.g. ``dict(type='BertTokenizer',
            name_or_path='bert-base-uncased')``). Required with ``max_tokens``.
            Defaults to None.
    """

    def __init__(self,
                 classes: Optional[Sequence[str]] = None,
                 num_sample_negative: int = 85,
                 shuffle: bool = True,
                 test_mode: bool = False,
                 max_tokens: Optional[int] = None,
                 tokenizer: Union[dict, object, None] = None) -> None:
        if isinstance(classes, str):
            raise TypeError(f'classes must be a sequence of names, got the string {classes!r}')
        if num_sample_negative < 0:
            raise ValueError(f'num_sample_negative must be >= 0, got {num_sample_negative}')
        if max_tokens is not None and (max_tokens <= 0 or tokenizer is None):
            raise ValueError('max_tokens needs a positive budget and a tokenizer to count '
                             f'with, got max_tokens={max_tokens}, tokenizer={tokenizer}')
        self.classes = None if classes is None else tuple(classes)
        self.num_sample_negative = num_sample_negative
        self.shuffle = shuffle
        self.test_mode = test_mode
        self.max_tokens = max_tokens
        if isinstance(tokenizer, dict):
            tokenizer = TOKENIZERS.build(tokenizer)
        self.tokenizer = tokenizer
        self._num_tokens: dict = {}

    def transform(self, results: dict) -> dict:
        classes = self._get_classes(results)
        results['task'] = 'detection'
        if self.test_mode:
            results['text'] = classes
            return results
        if 'gt_bboxes_labels' not in results:
            raise KeyError("CategoryPrompt needs results['gt_bboxes_labels'] in training: "
                           'load annotations with mmdet LoadAnnotations(with_bbox=True) first')
        labels = np.asarray(results['gt_bboxes_labels'], dtype=np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
            raise ValueError(f'gt_bboxes_labels {labels.tolist()} out of range for '
                             f'{len(classes)} classes ({results.get("img_path", "")})')
        positives = np.unique(labels)
        negatives = np.setdiff1d(np.arange(len(classes)), positives)
        num_negative = min(self.num_sample_negative, len(negatives))
        negatives = np.random.choice(negatives, num_negative, replace=False)
        order = np.concatenate([positives, negatives]).astype(np.int64)
        if self.shuffle:
            order = np.random.permutation(order)
        if self.max_tokens is not None:
            order = order[:self._num_fitting([classes[i] for i in order])]
        position = np.full(len(classes), -1, dtype=np.int64)
        position[order] = np.arange(len(order))
        new_labels = position[labels]
        keep = new_labels >= 0
        if not keep.all():
            _keep_instances(results, keep)
        results['gt_bboxes_labels'] = new_labels[keep]
        results['text'] = tuple(classes[i] for i in order)
        return results

    def _get_classes(self, results: dict) -> tuple:
        if self.classes is not None:
            return self.classes
        text = results.get('text')
        if isinstance(text, (list, tuple)) and text and all(isinstance(t, str) for t in text):
            return tuple(text)
        raise ValueError("CategoryPrompt has no class names: pass classes=(...) or build "
                         "the dataset with return_classes=True (results['text'] holds them)")

    def _num_fitting(self, names: Sequence[str]) -> int:
        """How many leading names fit ``max_tokens`` (each name + 1 separator token)."""
        total = 0
        for i, name in enumerate(names):
            if name not in self._num_tokens:
                self._num_tokens[name] = len(self.tokenizer.tokenize(name)) + 1
            total += self._num_tokens[name]
            if total > self.max_tokens:
                return i
        return len(names)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes='
                f'{None if self.classes is None else len(self.classes)}, '
                f'num_sample_negative={self.num_sample_negative}, shuffle={self.shuffle}, '
                f'test_mode={self.test_mode}, max_tokens={self.max_tokens})')


def _keep_instances(results: dict, keep: np.ndarray) -> None:
    """Index every per-instance annotation in ``results`` with the boolean ``keep``."""
    for key in ('gt_bboxes', 'gt_ignore_flags', 'gt_masks', 'gt_instances_ids'):
        if results.get(key) is not None:
            results[key] = results[key][keep if key != 'gt_masks' else np.flatnonzero(keep)]


@TRANSFORMS.register_module()
class GroundingSafeRandomCrop(BaseTransform):
    """A crop that never loses the referred object (UNINEXT, Yan et al., CVPR 2023).

    Applies the wrapped crop (e.g. mmdet's ``RandomCrop``) to every sample, except
    grounding samples (``results['task'] == 'grounding'``):

    - whose expression holds an ordinal word ("first" ... "tenth", whole words): the crop
      could change which object is "the second from left", so UNINEXT does not crop;
    - whose crop would drop the single ground truth (mmdet's ``RandomCrop`` then returns
      None, or an empty sample with ``allow_negative_crop=True``): the uncropped sample is
      kept instead of dropping it (the crop runs on a copy).

    Detection samples get the crop's result as it is (None drops the sample, and the
    dataset draws another). Place ``SampleExpression`` before it.

    Args:
        crop (dict): Config of the wrapped crop, built from mmvl ``TRANSFORMS``, e.g.
            ``dict(type='mmdet.RandomCrop', crop_type='absolute_range',
            crop_size=(384, 600), allow_negative_crop=True)``.
    """

    def __init__(self, crop: dict) -> None:
        self.crop = TRANSFORMS.build(crop)

    def transform(self, results: dict) -> Optional[dict]:
        if results.get('task') != 'grounding':
            return self.crop(results)
        text = results.get('text')
        if not isinstance(text, str):
            raise KeyError("GroundingSafeRandomCrop needs results['text'] (str) for a "
                           'grounding sample: put SampleExpression before it')
        if has_ordinal(text):
            return results
        cropped = self.crop(copy.deepcopy(results))
        if cropped is None or len(cropped.get('gt_bboxes', ())) == 0:
            return results
        return cropped

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(crop={self.crop!r})'

