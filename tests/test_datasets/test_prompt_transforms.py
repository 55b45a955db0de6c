# Copyright (c) mmvl contributors. All rights reserved.
"""Behaviour of UNINEXT's prompt transforms (mmvl.datasets.transforms.prompts)."""
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmvl.datasets.transforms import (CategoryPrompt, GroundingSafeRandomCrop,
                                      SampleExpression, SwapLeftRightOnFlip, has_ordinal)
from mmvl.registry import TRANSFORMS

CLASSES = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross', 'diamond', 'crescent')


def _det_results(labels, size=20):
    """Detection results with one distinct box and mask per label."""
    n = len(labels)
    boxes = np.array([[i, i, i + 2, i + 2] for i in range(n)], dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.uint8)
    for i in range(n):
        masks[i, i, i] = 1
    return dict(gt_bboxes=HorizontalBoxes(boxes), gt_bboxes_labels=np.array(labels),
                gt_ignore_flags=np.zeros(n, dtype=bool), gt_masks=BitmapMasks(masks, size, size))


# ----------------------------------------------------------------------- SampleExpression
def test_sample_expression():
    texts = ['the red circle', 'circle left of the square', 'large circle']
    seen = set()
    np.random.seed(0)
    for _ in range(60):
        out = SampleExpression()(dict(texts=list(texts)))
        assert out['task'] == 'grounding' and out['text'] in texts
        seen.add(out['text'])
    assert seen == set(texts)
    assert SampleExpression(test_mode=True)(dict(texts=list(texts)))['text'] == texts[0]
    for bad in (dict(), dict(texts=[]), dict(texts='a string')):
        with pytest.raises(ValueError, match="needs 'texts'"):
            SampleExpression()(bad)


def test_sample_expression_sets_the_picked_compositions():
    texts = ['the red circle', 'circle left of the square']
    units = [[('red', 'circle')], [('circle', 'left of', 'square')]]
    np.random.seed(0)
    for _ in range(20):
        out = SampleExpression()(dict(texts=list(texts), sentence_compositions=units,
                                      compositions=units[0] + units[1]))
        assert out['compositions'] == units[texts.index(out['text'])]
    assert 'compositions' not in SampleExpression()(dict(texts=list(texts)))
    with pytest.raises(ValueError, match="'sentence_compositions' has 1 entries for 2 texts"):
        SampleExpression()(dict(texts=list(texts), sentence_compositions=units[:1]))


# -------------------------------------------------------------------- SwapLeftRightOnFlip
@pytest.mark.parametrize('text, expected', [
    ('cross left of the hexagon', 'cross right of the hexagon'),
    ('the right one, left of the star', 'the left one, right of the star'),
    ('Left circle', 'Right circle'),
    ('leftmost square', 'rightmost square'),
    ('bright upright leftover righteous', 'bright upright leftover righteous'),
])
def test_swap_on_horizontal_flip_whole_words(text, expected):
    swap = TRANSFORMS.build(dict(type='SwapLeftRightOnFlip'))
    out = swap(dict(text=text, flip=True, flip_direction='horizontal'))
    assert out['text'] == expected


def test_no_swap_without_horizontal_flip():
    swap = SwapLeftRightOnFlip()
    text = 'cross left of the hexagon'
    assert swap(dict(text=text, flip=False, flip_direction=None))['text'] == text
    assert swap(dict(text=text, flip=True, flip_direction='vertical'))['text'] == text
    # a diagonal flip mirrors the image too
    assert swap(dict(text=text, flip=True, flip_direction='diagonal'))['text'] == \
        'cross right of the hexagon'
    # detection prompts (tuples of names) pass unchanged
    names = ('left', 'right')
    assert swap(dict(text=names, flip=True, flip_direction='horizontal'))['text'] == names
    with pytest.raises(KeyError, match='after .*RandomFlip'):
        swap(dict(text=text))


def test_swap_after_mmdet_random_flip():
    flip = TRANSFORMS.build(dict(type='mmdet.RandomFlip', prob=1.0))
    results = dict(img=np.zeros((8, 8, 3), np.uint8), img_shape=(8, 8), text='left square')
    out = SwapLeftRightOnFlip()(flip(results))
    assert out['text'] == 'right square'


# ------------------------------------------------------------------------- CategoryPrompt
def test_category_prompt_training_remaps_labels():
    prompt = TRANSFORMS.build(
        dict(type='CategoryPrompt', classes=CLASSES, num_sample_negative=3))
    labels = [2, 5, 2, 7]
    np.random.seed(0)
    orders = set()
    for _ in range(20):
        out = prompt(_det_results(labels))
        text, new = out['text'], out['gt_bboxes_labels']
        assert out['task'] == 'detection' and isinstance(text, tuple)
        assert len(text) == 3 + 3 and len(set(text)) == len(text)  # 3 positives, 3 negatives
        assert {'triangle', 'cross', 'crescent'} <= set(text)
        assert [text[i] for i in new] == [CLASSES[i] for i in labels]
        assert len(out['gt_bboxes']) == len(out['gt_masks']) == len(labels)
        orders.add(text)
    assert len(orders) > 10  # shuffled and negatives resampled


def test_category_prompt_caps_negatives_and_keeps_order_without_shuffle():
    out = CategoryPrompt(classes=CLASSES, num_sample_negative=85)(_det_results([4, 1]))
    assert sorted(out['text']) == sorted(CLASSES)
    out = CategoryPrompt(classes=CLASSES, num_sample_negative=0, shuffle=False)(
        _det_results([4, 1, 4]))
    assert out['text'] == ('square', 'hexagon')
    assert out['gt_bboxes_labels'].tolist() == [1, 0, 1]
    out = CategoryPrompt(classes=CLASSES, num_sample_negative=2)(_det_results([]))
    assert len(out['text']) == 2 and out['gt_bboxes_labels'].size == 0


def test_category_prompt_test_mode_and_dataset_classes():
    results = _det_results([6, 0])
    out = CategoryPrompt(classes=CLASSES, test_mode=True)(results)
    assert out['text'] == CLASSES and out['gt_bboxes_labels'].tolist() == [6, 0]
    # classes from an mmdet dataset built with return_classes=True
    out = CategoryPrompt(test_mode=True)(dict(text=list(CLASSES)))
    assert out['text'] == CLASSES and out['task'] == 'detection'
    with pytest.raises(ValueError, match='no class names'):
        CategoryPrompt()(_det_results([0]))
    with pytest.raises(ValueError, match='out of range'):
        CategoryPrompt(classes=CLASSES[:3])(_det_results([5]))
    with pytest.raises(TypeError, match='sequence of names'):
        CategoryPrompt(classes='circle')


class _WordTokenizer:
    """Counts words as tokens."""

    def tokenize(self, text):
        return text.split()


def test_category_prompt_token_budget_drops_overflowing_boxes():
    classes = ('a b c', 'd', 'e f', 'g')  # 4, 2, 3, 2 tokens with the separator
    prompt = CategoryPrompt(classes=classes, shuffle=False, max_tokens=6,
                            tokenizer=_WordTokenizer())
    out = prompt(_det_results([3, 0, 1]))  # positives a b c, d, g: 4 + 2 fit, g overflows
    assert out['text'] == ('a b c', 'd')
    assert out['gt_bboxes_labels'].tolist() == [0, 1]
    assert out['gt_bboxes'].tensor[:, 0].tolist() == [1, 2]  # boxes 1 and 2 are kept
    assert len(out['gt_masks']) == 2 and out['gt_masks'].masks[0, 1, 1] == 1
    assert out['gt_ignore_flags'].shape == (2, )
    with pytest.raises(ValueError, match='tokenizer'):
        CategoryPrompt(classes=classes, max_tokens=6)


# ---------------------------------------------------------------- GroundingSafeRandomCrop
def _crop_results(text, task='grounding', box=(85, 85, 99, 99)):
    masks = np.zeros((1, 100, 100), np.uint8)
    masks[0, box[1]:box[3], box[0]:box[2]] = 1
    return dict(img=np.zeros((100, 100, 3), np.uint8), img_shape=(100, 100), text=text,
                task=task, gt_bboxes=HorizontalBoxes(np.array([box], np.float32)),
                gt_bboxes_labels=np.array([0]), gt_ignore_flags=np.zeros(1, bool),
                gt_masks=BitmapMasks(masks, 100, 100))


CROP = dict(type='mmdet.RandomCrop', crop_size=(30, 30), allow_negative_crop=False)


def test_grounding_crop_keeps_referred_object():
    crop = TRANSFORMS.build(dict(type='GroundingSafeRandomCrop', crop=CROP))
    np.random.seed(0)
    outcomes = {'cropped': 0, 'kept': 0}
    for _ in range(40):
        out = crop(_crop_results('the square'))
        assert out is not None and len(out['gt_bboxes']) == 1
        if out['img'].shape[:2] == (30, 30):
            outcomes['cropped'] += 1
        else:  # the crop missed the object: the sample is kept whole and untouched
            assert out['gt_bboxes'].tensor.tolist() == [[85, 85, 99, 99]]
            outcomes['kept'] += 1
    assert outcomes['cropped'] > 0 and outcomes['kept'] > 0


def test_ordinal_expression_is_not_cropped_and_detection_is():
    crop = GroundingSafeRandomCrop(crop=CROP)
    for _ in range(10):
        out = crop(_crop_results('the second square from the left'))
        assert out['img'].shape[:2] == (100, 100)
    assert has_ordinal('Third circle') and not has_ordinal('firstly a circle')
    np.random.seed(1)
    results = [crop(_crop_results(('square', ), task='detection')) for _ in range(40)]
    assert any(r is None for r in results)  # mmdet's RandomCrop drops empty detection crops
    assert all(r['img'].shape[:2] == (30, 30) for r in results if r is not None)
    with pytest.raises(KeyError, match='SampleExpression'):
        crop(_crop_results(None))
