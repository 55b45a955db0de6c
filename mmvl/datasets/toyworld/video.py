# Copyright (c) mmvl contributors. All rights reserved.
"""Short toy-world clips with objects moving linearly, in YouTube-VIS and Ref-YouTube-VOS layouts.

Objects keep their attributes and move with a constant velocity; they may leave the frame or be
occluded, and a frame where an object shows fewer than ``MIN_PIXELS`` pixels has ``None`` for its
segmentation, box and area (as in YouTube-VIS).
"""
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import render
from .language import ATTR_SETS, describe, matches
from .scene import MIN_PIXELS, Pair, ToyObject, sample_object
from .vocabulary import category_id, coco_categories


@dataclass
class Track:
    """One moving object: its appearance at frame 0 and velocity (dx, dy) in pixels per frame."""
    obj: ToyObject
    velocity: Tuple[float, float]
    seed: int

    def at(self, t: int) -> ToyObject:
        """The object at frame ``t``."""
        cx = self.obj.centre[0] + self.velocity[0] * t
        cy = self.obj.centre[1] + self.velocity[1] * t
        return ToyObject(self.obj.shape, self.obj.colour, self.obj.size, (cx, cy),
                         self.obj.radius, self.obj.angle)

    @property
    def motion(self) -> str:
        """Dominant direction of motion: ``left``, ``right``, ``up`` or ``down``."""
        dx, dy = self.velocity
        if abs(dx) >= abs(dy):
            return 'right' if dx > 0 else 'left'
        return 'down' if dy > 0 else 'up'


@dataclass
class Clip:
    """A rendered clip: tracks, JPEG frames and per-track, per-frame visible masks."""
    video_id: str
    tracks: List[Track]
    frames: List[bytes]
    masks: List[List[Optional[np.ndarray]]]


def make_clip(rng: np.random.Generator, video_id: str, image_size: int, num_frames: int,
              forbidden: Sequence[Pair] = ()) -> Clip:
    """Sample and render one clip with 1-3 objects.

    Args:
        rng (np.random.Generator): Source of randomness.
        video_id (str): Folder name of the clip.
        image_size (int): Frame side in pixels.
        num_frames (int): Frames per clip.
        forbidden (Sequence[tuple[str, str]]): (colour, shape) pairs never sampled.

    Returns:
        Clip: The clip; ``masks[i][t]`` is None where track ``i`` is not visible at frame ``t``.
    """
    tracks = []
    for _ in range(int(rng.integers(1, 4))):
        obj = sample_object(rng, image_size, forbidden)
        speed = rng.uniform(1.5, 4.0) * image_size / 160
        theta = rng.uniform(0, 2 * np.pi)
        velocity = (round(float(speed * np.cos(theta)), 3), round(float(speed * np.sin(theta)), 3))
        tracks.append(Track(obj, velocity, int(rng.integers(2**31))))
    background = render.textured_background(rng, image_size)
    frames, masks = [], [[] for _ in tracks]
    for t in range(num_frames):
        canvas = background + rng.normal(0, 2, size=background.shape)
        full = [track.at(t).mask(image_size) for track in tracks]
        for track, mask in zip(tracks, full):
            render.paint(canvas, mask, track.obj.colour, np.random.default_rng(track.seed))
        for i, vis in enumerate(render.visible_masks(full)):
            vis = render.remove_specks(vis, MIN_PIXELS)
            ok = vis.sum() >= MIN_PIXELS and render.mask_to_polygons(vis)
            masks[i].append(vis if ok else None)
        frames.append(render.encode_jpeg(render.to_uint8(canvas)))
    return Clip(video_id, tracks, frames, masks)


def clip_expressions(clip: Clip) -> Dict[int, List[str]]:
    """Referring expressions per visible track, unique within the clip.

    Uses the fewest attributes that single the object out, and its motion ("moving left") when
    attributes alone do not.

    Returns:
        dict[int, list[str]]: Track index to expressions (tracks without one are left out).
    """
    objs = [t.obj for t in clip.tracks]
    result = {}
    for i, track in enumerate(clip.tracks):
        if all(m is None for m in clip.masks[i]):
            continue
        exprs = []
        for attrs in ATTR_SETS:
            same = [j for j, o in enumerate(objs) if matches(o, track.obj, attrs)]
            if same == [i]:
                exprs.append(f'the {describe(track.obj, attrs)}')
            moving = [j for j in same if clip.tracks[j].motion == track.motion]
            if moving == [i]:
                exprs.append(f'the {describe(track.obj, attrs)} moving {track.motion}')
            if len(exprs) >= 2:
                break
        if exprs:
            result[i] = exprs[:2]
    return result


def frame_name(t: int) -> str:
    """Frame file stem, ``00000``, ``00001``, ..."""
    return f'{t:05d}'


def youtube_vis(clips: Sequence[Clip], image_size: int, seed: int) -> Dict[str, Any]:
    """YouTube-VIS 2019 instance file, https://youtube-vos.org/dataset/vis/.

    Per-frame ``segmentations`` are uncompressed COCO RLE, ``bboxes`` ``[x, y, w, h]`` and
    ``areas`` pixel counts, each ``None`` where the object is not visible.

    Args:
        clips (Sequence[Clip]): Rendered clips.
        image_size (int): Frame side.
        seed (int): Generator seed.

    Returns:
        dict: ``info``, ``licenses``, ``videos``, ``annotations``, ``categories``.
    """
    videos, annotations = [], []
    for vid, clip in enumerate(clips, start=1):
        length = len(clip.frames)
        videos.append(dict(
            id=vid, width=image_size, height=image_size, length=length,
            file_names=[f'{clip.video_id}/{frame_name(t)}.jpg' for t in range(length)]))
        for i, track in enumerate(clip.tracks):
            if all(m is None for m in clip.masks[i]):
                continue
            segs, boxes, areas = [], [], []
            for mask in clip.masks[i]:
                segs.append(None if mask is None else render.mask_to_rle(mask))
                boxes.append(None if mask is None else render.mask_to_bbox(mask))
                areas.append(None if mask is None else float(mask.sum()))
            annotations.append(dict(
                id=len(annotations) + 1, video_id=vid, category_id=category_id(track.obj.shape),
                segmentations=segs, bboxes=boxes, areas=areas, iscrowd=0, width=image_size,
                height=image_size, length=1, colour=track.obj.colour, size=track.obj.size,
                obj_id=i + 1))
    info = dict(description=f'mmvl toy world clips (synthetic, seed {seed})', version='2019')
    return dict(info=info, licenses=[], videos=videos, annotations=annotations,
                categories=coco_categories())


def ref_youtube_vos(clips: Sequence[Clip]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Ref-YouTube-VOS ``meta_expressions.json`` and YouTube-VOS ``meta.json``.

    Layouts of https://youtube-vos.org/dataset/rvos/: ``videos -> <id> -> expressions -> <n>
    -> {exp, obj_id}`` plus ``frames``; ``obj_id`` is the 1-based track index, the same as
    ``obj_id`` in the YouTube-VIS annotations.

    Returns:
        tuple:
        - dict: ``meta_expressions.json`` contents.
        - dict: ``meta.json`` contents (``videos -> <id> -> objects -> <obj_id> ->
          {category, frames}``).
    """
    expressions, meta = {}, {}
    for clip in clips:
        frames = [frame_name(t) for t in range(len(clip.frames))]
        exps: Dict[str, Dict[str, str]] = {}
        for i, texts in clip_expressions(clip).items():
            for text in texts:
                exps[str(len(exps))] = dict(exp=text, obj_id=str(i + 1))
        expressions[clip.video_id] = dict(expressions=exps, frames=frames)
        objects = {}
        for i, track in enumerate(clip.tracks):
            seen = [frames[t] for t, m in enumerate(clip.masks[i]) if m is not None]
            if seen:
                objects[str(i + 1)] = dict(category=track.obj.shape, frames=seen)
        meta[clip.video_id] = dict(objects=objects)
    return dict(videos=expressions), dict(videos=meta)
