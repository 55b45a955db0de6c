# Copyright (c) mmvl contributors. All rights reserved.
"""Labelled toy action clips for video recognition, in Kinetics-400 and rawframe list layouts.

Each clip shows one *actor* shape performing one of ``ACTIONS`` over a textured background,
sometimes next to a static distractor shape. Colour, shape and size are drawn independently of
the action, so a clip can only be classified from its motion (``move_left`` and ``move_right``
differ only in the order of their frames, as in Something-Something V2).
"""
import io
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from . import render
from .scene import Pair, ToyObject, sample_object

#: Action classes; the label of a clip is its index here.
ACTIONS = ('move_left', 'move_right', 'move_up', 'move_down', 'grow', 'shrink', 'rotate',
           'blink')
#: Frame side in pixels and frames per clip.
ACTION_CLIP_SIZE = 64
ACTION_CLIP_FRAMES = 16
#: Frames per second written into the mp4 files.
FPS = 8
#: Shapes whose rotation is visible (a circle looks the same at every angle).
_ROTATING_SHAPES = ('square', 'triangle', 'star', 'cross', 'diamond', 'crescent')


@dataclass
class ActionClip:
    """A rendered action clip.

    Args:
        name (str): File stem, ``act00000``.
        label (int): Index into ``ACTIONS``.
        frames (list[np.ndarray]): ``uint8`` BGR frames of shape (S, S, 3).
    """
    name: str
    label: int
    frames: List[np.ndarray]


def _actor_states(rng: np.random.Generator, action: str, obj: ToyObject, image_size: int,
                  num_frames: int) -> List[Tuple[Tuple[float, float], float, float, bool]]:
    """(centre, radius, angle, visible) of the actor at every frame."""
    cx, cy = obj.centre
    radius, angle = obj.radius, obj.angle
    last = max(1, num_frames - 1)
    states = []
    if action.startswith('move_'):
        travel = rng.uniform(0.35, 0.55) * image_size
        sign = 1.0 if action in ('move_right', 'move_down') else -1.0
        low, high = radius + 1, image_size - radius - 1 - travel
        start = float(rng.uniform(low, max(low, high)))
        start = start if sign > 0 else image_size - start
        for t in range(num_frames):
            pos = start + sign * travel * t / last
            centre = (pos, cy) if action in ('move_left', 'move_right') else (cx, pos)
            states.append((centre, radius, angle, True))
    elif action in ('grow', 'shrink'):
        factor = rng.uniform(2.0, 2.6)
        for t in range(num_frames):
            frac = t / last if action == 'grow' else 1 - t / last
            states.append(((cx, cy), radius * (1 + (factor - 1) * frac), angle, True))
    elif action == 'rotate':
        step = rng.uniform(8, 14) * (1 if rng.random() < 0.5 else -1)
        states = [((cx, cy), radius, angle + step * t, True) for t in range(num_frames)]
    else:  # blink
        period = int(rng.integers(2, 4))
        phase = int(rng.integers(2))
        states = [((cx, cy), radius, angle, (t // period + phase) % 2 == 0)
                  for t in range(num_frames)]
    return states


def make_action_clip(rng: np.random.Generator, name: str, label: int, image_size: int,
                     num_frames: int, forbidden: Sequence[Pair] = ()) -> ActionClip:
    """Sample and render one clip of action ``ACTIONS[label]``.

    Args:
        rng (np.random.Generator): Source of randomness.
        name (str): File stem of the clip.
        label (int): Action index.
        image_size (int): Frame side in pixels.
        num_frames (int): Frames in the clip.
        forbidden (Sequence[tuple[str, str]]): (colour, shape) pairs never sampled.

    Returns:
        ActionClip: The clip.
    """
    action = ACTIONS[label]
    while True:
        obj = sample_object(rng, image_size, forbidden, size='medium')
        if action != 'rotate' or obj.shape in _ROTATING_SHAPES:
            break
    if action == 'grow':
        obj.radius *= 0.6
    states = _actor_states(rng, action, obj, image_size, num_frames)
    distractor = None
    if rng.random() < 0.5:
        distractor = sample_object(rng, image_size, forbidden, size='small')
    background = render.textured_background(rng, image_size)
    actor_seed, distractor_seed = (int(v) for v in rng.integers(2**31, size=2))
    frames = []
    for centre, radius, angle, visible in states:
        canvas = background + rng.normal(0, 2, size=background.shape)
        if distractor is not None:
            render.paint(canvas, distractor.mask(image_size), distractor.colour,
                         np.random.default_rng(distractor_seed))
        if visible:
            mask = render.shape_mask(obj.shape, centre, radius, angle, image_size)
            render.paint(canvas, mask, obj.colour, np.random.default_rng(actor_seed))
        frames.append(render.to_uint8(canvas))
    return ActionClip(name, label, frames)


def encode_mp4(frames: Sequence[np.ndarray], fps: int = FPS) -> bytes:
    """Encode ``uint8`` BGR frames as an MPEG-4 Part 2 video in an mp4 container (PyAV).

    Bit-exact flags keep the bytes free of library version strings, so a re-run writes the
    same file.
    """
    import av  # optional at import time: only the action-clip product needs it

    buf = io.BytesIO()
    height, width = frames[0].shape[:2]
    with av.open(buf, mode='w', format='mp4',
                 options={'fflags': '+bitexact'}) as container:
        stream = container.add_stream('mpeg4', rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.thread_count = 1
        stream.bit_rate = 2_000_000
        stream.options = {'flags': '+bitexact'}
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame[..., ::-1]), format='rgb24')
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def rawframe_name(t: int) -> str:
    """Frame file name inside a rawframe folder: ``img_00001.jpg`` for ``t = 0`` (mmaction)."""
    return f'img_{t + 1:05d}.jpg'
