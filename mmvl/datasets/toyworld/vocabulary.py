# Copyright (c) mmvl contributors. All rights reserved.
"""The fixed vocabulary of the toy world: shapes, colours, sizes and relations.

Other parts of mmvl (configs, metrics, visualisers) depend on these names and their order, so they
are module constants and must not change. The COCO category id of ``CLASSES[i]`` is ``i + 1``.
"""
from typing import Dict, List, Tuple

#: Shapes annotated as "base" categories (seen with labels in open-world training).
BASE_CLASSES: Tuple[str, ...] = ('circle', 'square', 'triangle', 'star', 'hexagon')
#: Shapes annotated as "novel" categories (held out from labels by open-world configs).
NOVEL_CLASSES: Tuple[str, ...] = ('cross', 'diamond', 'crescent')
#: All shape classes; COCO category ids are 1..8 in this order.
CLASSES: Tuple[str, ...] = BASE_CLASSES + NOVEL_CLASSES

#: Plural forms used in captions and questions.
PLURALS: Dict[str, str] = {
    'circle': 'circles', 'square': 'squares', 'triangle': 'triangles', 'star': 'stars',
    'hexagon': 'hexagons', 'cross': 'crosses', 'diamond': 'diamonds', 'crescent': 'crescents'}

COLOURS: Tuple[str, ...] = ('red', 'green', 'blue', 'yellow', 'purple', 'orange', 'cyan', 'white')
#: Fixed BGR value of each colour, as OpenCV draws it.
COLOUR_BGR: Dict[str, Tuple[int, int, int]] = {
    'red': (40, 40, 220),
    'green': (60, 190, 60),
    'blue': (220, 90, 30),
    'yellow': (40, 225, 235),
    'purple': (170, 50, 150),
    'orange': (30, 140, 255),
    'cyan': (225, 215, 40),
    'white': (245, 245, 245),
}

SIZES: Tuple[str, ...] = ('small', 'medium', 'large')
#: Circumradius range of each size as a fraction of the image side; the ranges do not overlap, so
#: the size word is visually unambiguous.
SIZE_RADIUS: Dict[str, Tuple[float, float]] = {
    'small': (0.060, 0.078),
    'medium': (0.095, 0.115),
    'large': (0.135, 0.160),
}

#: Spatial relations "A <relation> B", derived from object centres (see ``scene.relation``).
RELATIONS: Tuple[str, ...] = ('left of', 'right of', 'above', 'below')

#: (colour, shape) compositions that never appear in the train split and always appear in val
#: (compositional generalisation, e.g. MCRES).
HELD_OUT_PAIRS: Tuple[Tuple[str, str], ...] = (
    ('red', 'circle'), ('blue', 'square'), ('yellow', 'triangle'), ('green', 'star'))

#: One RGB colour per class (in ``CLASSES`` order) for visualisers.
PALETTE: Tuple[Tuple[int, int, int], ...] = (
    (220, 20, 60), (0, 130, 200), (60, 180, 75), (255, 225, 25),
    (145, 30, 180), (245, 130, 48), (70, 240, 240), (240, 50, 230))

NUMBER_WORDS: Tuple[str, ...] = (
    'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten')


def category_id(shape: str) -> int:
    """Return the COCO category id (1-based) of a shape name.

    Args:
        shape (str): One of ``CLASSES``.

    Returns:
        int: ``CLASSES.index(shape) + 1``.
    """
    if shape not in CLASSES:
        raise KeyError(f'unknown toy-world shape {shape!r}; valid shapes: {", ".join(CLASSES)}')
    return CLASSES.index(shape) + 1


def coco_categories() -> List[dict]:
    """Return the COCO ``categories`` list, each entry carrying ``split`` base or novel.

    Returns:
        list[dict]: ``{'id', 'name', 'supercategory', 'split'}`` per class, ids 1..8.
    """
    return [
        dict(id=i + 1, name=name, supercategory='shape',
             split='base' if name in BASE_CLASSES else 'novel')
        for i, name in enumerate(CLASSES)
    ]


def metainfo() -> dict:
    """Return an mmengine ``metainfo`` dict (``classes`` and ``palette``) for dataset configs.

    Returns:
        dict: ``dict(classes=CLASSES, palette=list(PALETTE))``.
    """
    return dict(classes=CLASSES, palette=list(PALETTE))
