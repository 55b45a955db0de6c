# Copyright (c) mmvl contributors. All rights reserved.
"""Sampling of toy-world scenes: objects with shape, colour, size and position, and their relations.

A scene holds 1-6 objects painted in order (later objects on top). Occlusion is allowed, but a
placement is rejected when it would leave an earlier object with less than ``MIN_VISIBLE`` of its
area, a hole, or a visible area under ``MIN_PIXELS``, or when it would touch an object of the
same colour (the two outlines would merge into one blob). The annotation of each object is its final
visible mask after all objects are painted.
"""
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from . import render
from .vocabulary import CLASSES, COLOURS, SIZE_RADIUS, SIZES

#: Smallest share of an object's own area that must stay visible.
MIN_VISIBLE = 0.6
#: Smallest visible area in pixels (and smallest piece kept in a visible mask).
MIN_PIXELS = 12
#: Relations need the dominant centre offset to exceed this share of the image side.
RELATION_GAP = 0.08
#: Rotation range in degrees per shape; small for shapes whose name depends on orientation.
_ANGLE_RANGE = {
    'circle': (0, 0), 'square': (-15, 15), 'triangle': (-12, 12), 'star': (-15, 15),
    'hexagon': (-30, 30), 'cross': (-15, 15), 'diamond': (-10, 10), 'crescent': (0, 360)}

Pair = Tuple[str, str]


@dataclass
class ToyObject:
    """One object of a scene.

    Args:
        shape (str): One of ``CLASSES``.
        colour (str): One of ``COLOURS``.
        size (str): One of ``SIZES``.
        centre (tuple[float, float]): (x, y) centre in pixels (integers in scenes, floats in
            moving clips).
        radius (float): Circumradius in pixels.
        angle (float): Rotation in degrees.
    """
    shape: str
    colour: str
    size: str
    centre: Tuple[float, float]
    radius: float
    angle: float

    def mask(self, image_size: int) -> np.ndarray:
        """Full (unoccluded) mask of shape (image_size, image_size)."""
        return render.shape_mask(self.shape, self.centre, self.radius, self.angle, image_size)


@dataclass
class Scene:
    """A rendered scene and its annotations.

    Args:
        image_id (int): Global image id, unique over both splits (1-based).
        split (str): ``'train'`` or ``'val'``.
        split_index (int): Position within the split (the number in the file name).
        image_size (int): Side of the square image.
        objects (list[ToyObject]): Objects in painting order.
        areas (list[int]): Visible area per object.
        bboxes (list[list[float]]): Tight ``[x, y, w, h]`` per object.
        polygons (list[list[list[float]]]): COCO polygons per object.
        png (bytes): The encoded image.
        ann_ids (list[int]): Global annotation id per object, filled in by the generator.
        text (dict): Generated language (captions, refs, VQA), filled in by the generator.
    """
    image_id: int
    split: str
    split_index: int
    image_size: int
    objects: List[ToyObject]
    areas: List[int]
    bboxes: List[List[float]]
    polygons: List[List[List[float]]]
    png: bytes
    ann_ids: List[int] = field(default_factory=list)
    text: dict = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        """File name inside the split folder: ``000000.png``, ``000001.png``, ..."""
        return f'{self.split_index:06d}.png'

    @property
    def id_file_name(self) -> str:
        """Name of the hard link in ``by_id/``: the image id in 12 digits, as in COCO 2017."""
        return f'{self.image_id:012d}.png'


def relation(a: Sequence[float], b: Sequence[float], image_size: int) -> Optional[str]:
    """The relation "A <relation> B" between two centres, or None when they are too close.

    The dominant axis of the offset decides: A is ``left of`` B when B lies further to the right
    than up or down, and so on. Image y grows downwards, so ``above`` means a smaller y.

    Args:
        a (Sequence[float]): (x, y) centre of A.
        b (Sequence[float]): (x, y) centre of B.
        image_size (int): Side of the image; the minimum offset is ``RELATION_GAP`` of it.

    Returns:
        str or None: One of ``RELATIONS``.
    """
    dx, dy = b[0] - a[0], b[1] - a[1]
    if max(abs(dx), abs(dy)) < RELATION_GAP * image_size:
        return None
    if abs(dx) >= abs(dy):
        return 'left of' if dx > 0 else 'right of'
    return 'above' if dy > 0 else 'below'


def sample_object(rng: np.random.Generator, image_size: int, forbidden: Iterable[Pair] = (),
                  pair: Optional[Pair] = None, size: Optional[str] = None,
                  margin: float = 1.0) -> ToyObject:
    """Sample one object's attributes and placement.

    Args:
        rng (np.random.Generator): Source of randomness.
        image_size (int): Side of the square image.
        forbidden (Iterable[tuple[str, str]]): (colour, shape) pairs never sampled.
        pair (tuple[str, str], optional): Force this (colour, shape). Defaults to None.
        size (str, optional): Force this size. Defaults to None.
        margin (float): Share of the radius that must stay inside the image. Defaults to 1.0.

    Returns:
        ToyObject: The object.
    """
    forbidden = set(forbidden)
    if pair is None:
        while True:
            shape = CLASSES[rng.integers(len(CLASSES))]
            colour = COLOURS[rng.integers(len(COLOURS))]
            if (colour, shape) not in forbidden:
                break
    else:
        colour, shape = pair
    size = SIZES[rng.integers(len(SIZES))] if size is None else size
    low, high = SIZE_RADIUS[size]
    radius = float(rng.uniform(low, high) * image_size)
    edge = int(np.ceil(radius * margin)) + 1
    cx, cy = (int(v) for v in rng.integers(edge, image_size - edge, size=2))
    angle = float(rng.uniform(*_ANGLE_RANGE[shape]))
    return ToyObject(shape, colour, size, (cx, cy), round(radius, 3), round(angle, 3))


def _acceptable(masks: Sequence[np.ndarray]) -> bool:
    """Whether every object keeps enough hole-free visible area once the last mask is on top.

    Only the objects the last mask overlaps can have changed, so only they are checked.
    """
    top = masks[-1]
    for full, visible in zip(masks, render.visible_masks(masks)):
        if full is not top and not (full & top).any():
            continue
        visible = render.remove_specks(visible, MIN_PIXELS)
        area = int(visible.sum())
        if area < MIN_PIXELS or area < MIN_VISIBLE * int(full.sum()) or render.has_hole(visible):
            return False
        if not render.mask_to_polygons(visible):
            return False
    return True


def _touches_same_colour(obj: ToyObject, mask: np.ndarray, objects: Sequence[ToyObject],
                        masks: Sequence[np.ndarray]) -> bool:
    """Whether ``obj`` would touch an object of its colour (their outlines would merge)."""
    same = [m for o, m in zip(objects, masks) if o.colour == obj.colour]
    if not same:
        return False
    grown = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    return any(bool((grown & m).any()) for m in same)


def sample_layout(rng: np.random.Generator, image_size: int, num_objects: int,
                  forbidden: Iterable[Pair] = (), forced: Sequence[Pair] = (),
                  max_tries: int = 60) -> List[ToyObject]:
    """Place up to ``num_objects`` objects, forced pairs first (at the bottom of the stack).

    Args:
        rng (np.random.Generator): Source of randomness.
        image_size (int): Side of the square image.
        num_objects (int): Objects wanted; fewer are placed if free space runs out.
        forbidden (Iterable[tuple[str, str]]): (colour, shape) pairs never sampled.
        forced (Sequence[tuple[str, str]]): (colour, shape) pairs that must appear.
        max_tries (int): Placement attempts per object. Defaults to 60.

    Returns:
        list[ToyObject]: Objects in painting order.
    """
    forbidden = tuple(forbidden)
    objects: List[ToyObject] = []
    masks: List[np.ndarray] = []
    wanted = list(forced) + [None] * max(num_objects - len(forced), 0)
    for pair in wanted:
        for _ in range(max_tries):
            obj = sample_object(rng, image_size, forbidden, pair)
            mask = obj.mask(image_size)
            if _touches_same_colour(obj, mask, objects, masks):
                continue
            if _acceptable(masks + [mask]):
                objects.append(obj)
                masks.append(mask)
                break
        else:
            if pair is not None:
                raise RuntimeError(f'could not place the forced object {pair} in {max_tries} tries')
    return objects


def render_scene(rng: np.random.Generator, objects: Sequence[ToyObject], image_size: int
                 ) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Paint objects over a textured background.

    Args:
        rng (np.random.Generator): Source of randomness (background and colour jitter).
        objects (Sequence[ToyObject]): Objects in painting order.
        image_size (int): Side of the square image.

    Returns:
        tuple:
        - np.ndarray: BGR uint8 image of shape (image_size, image_size, 3).
        - list[np.ndarray]: Final visible mask per object, specks removed.
    """
    canvas = render.textured_background(rng, image_size)
    full = [obj.mask(image_size) for obj in objects]
    for obj, mask in zip(objects, full):
        render.paint(canvas, mask, obj.colour, rng)
    visible = [render.remove_specks(m, MIN_PIXELS) for m in render.visible_masks(full)]
    return render.to_uint8(canvas), visible


def make_scene(rng: np.random.Generator, image_id: int, split: str, split_index: int,
               image_size: int, forbidden: Iterable[Pair] = (), forced: Sequence[Pair] = (),
               num_objects: Optional[int] = None, max_objects: int = 6) -> Scene:
    """Sample, render and annotate one scene.

    Args:
        rng (np.random.Generator): Source of randomness.
        image_id (int): Global image id.
        split (str): ``'train'`` or ``'val'``.
        split_index (int): Position within the split.
        image_size (int): Side of the square image.
        forbidden (Iterable[tuple[str, str]]): (colour, shape) pairs never sampled.
        forced (Sequence[tuple[str, str]]): (colour, shape) pairs that must appear.
        num_objects (int, optional): Object count; drawn from 1..``max_objects`` when None.
        max_objects (int): Largest sampled object count. Defaults to 6.

    Returns:
        Scene: The annotated scene (``ann_ids`` are filled in later by the generator).
    """
    if num_objects is None:
        num_objects = int(rng.integers(1, max_objects + 1))
    objects = sample_layout(rng, image_size, max(num_objects, len(forced)), forbidden, forced)
    image, masks = render_scene(rng, objects, image_size)
    areas, bboxes, polygons = [], [], []
    for mask in masks:
        area, bbox, polys = render.geometry(mask)
        areas.append(area)
        bboxes.append(bbox)
        polygons.append(polys)
    return Scene(image_id, split, split_index, image_size, list(objects), areas, bboxes,
                 polygons, render.encode_png(image))
