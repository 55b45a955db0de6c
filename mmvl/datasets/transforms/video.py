# Copyright (c) mmvl contributors. All rights reserved.
"""Video transforms: clip sampling, decoding (PyAV, frame folders), crops, packing.

Frames travel as ``results['imgs']``, a ``uint8`` RGB array N x H x W x 3 with
N = num_crops x num_clips x clip_len (crops outermost, then clips, then frames). Spatial
transforms act on every frame alike, so all clips of a sample share one crop. Sampling follows
mmaction2's ``SampleFrames`` (``clip_len x frame_interval x num_clips``; random offsets for
training, evenly spread clips for testing); the names match mmaction2's where the behaviour
does, and the spatial ones carry a ``Video`` prefix so they never shadow mmcv's image
transforms under the ``mmvl`` scope.

:class:`TemporalShiftTwoClips` is CMAE-V's sampler (arXiv 2301.06018: "replacing the original
pixel shift with the temporal shift"): the online clip starts at t0, the target clip at
t0 + delta in the same video; the crop transforms that follow give both the same spatial crop,
and :class:`ClipColorJitter` with ``clips=(1, )`` augments colour in the target clip only (as
CMAE's target view, Sec. 3.3).

Fine-tuning follows VideoMAE (Tong et al., NeurIPS 2022): :class:`SegmentSampleFrames` is its
Something-Something V2 sampling (one frame from each of ``clip_len`` equal segments), and
:class:`ClipConsistentTransform` applies an image augment (mmpretrain's RandAugment or
RandomErasing) with one random draw for all frames of a clip.
"""
import os.path as osp
import random
from typing import Dict, List, Literal, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.structures import DataSample

from mmvl.registry import TRANSFORMS

OUT_OF_BOUND = ('loop', 'repeat_last')
PACK_MODES = ('views', 'clip', 'clip_list')


def _open_video(path: str):
    """Open a video with PyAV; a missing or unreadable file names the path."""
    import av  # requirements/runtime.txt
    if not osp.isfile(path):
        raise FileNotFoundError(f'video not found: {path}')
    try:
        return av.open(path)
    except av.error.FFmpegError as err:
        raise ValueError(f'cannot read video {path}: {err}') from None


@TRANSFORMS.register_module()
class PyAVInit(BaseTransform):
    """Count the frames of ``results['filename']`` (mmaction2 ``PyAVInit``).

    **Required keys:** ``filename``. **Added keys:** ``total_frames``.
    """

    def transform(self, results: Dict) -> Dict:
        path = results['filename']
        with _open_video(path) as container:
            stream = container.streams.video[0]
            total = stream.frames or sum(1 for _ in container.decode(video=0))
        if total < 1:
            raise ValueError(f'video {path} has no frames')
        results['total_frames'] = int(total)
        return results


@TRANSFORMS.register_module()
class SampleFrames(BaseTransform):
    """Sample ``num_clips`` clips of ``clip_len`` frames, ``frame_interval`` apart.

    Training: the video is cut into ``num_clips`` equal segments and each clip starts at a
    random offset in its segment (mmaction2 ``SampleFrames._get_train_clips``). Testing: the
    clips are spread evenly from the first to the last possible start (one clip: the middle).
    Indices past the end wrap around (``'loop'``) or repeat the last frame (``'repeat_last'``).

    **Required keys:** ``total_frames``. **Added keys:** ``frame_inds``, ``clip_len``,
    ``frame_interval``, ``num_clips``.

    Args:
        clip_len (int): Frames per clip.
        frame_interval (int): Step between sampled frames. Defaults to 1.
        num_clips (int): Clips per video. Defaults to 1.
        test_mode (bool): Deterministic test sampling. Defaults to False.
        out_of_bound_opt (str): ``'loop'`` or ``'repeat_last'``. Defaults to ``'loop'``.
    """

    def __init__(self, clip_len: int, frame_interval: int = 1, num_clips: int = 1,
                 test_mode: bool = False,
                 out_of_bound_opt: Literal['loop', 'repeat_last'] = 'loop') -> None:
        if min(clip_len, frame_interval, num_clips) < 1:
            raise ValueError('clip_len, frame_interval and num_clips must be positive, got '
                             f'{clip_len}, {frame_interval}, {num_clips}')
        if out_of_bound_opt not in OUT_OF_BOUND:
            raise ValueError(f'out_of_bound_opt must be one of {OUT_OF_BOUND}, got '
                             f'{out_of_bound_opt!r}')
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.num_clips = num_clips
        self.test_mode = test_mode
        self.out_of_bound_opt = out_of_bound_opt

    def clip_offsets(self, total: int) -> np.ndarray:
        """Start frame of each clip."""
        span = self.clip_len * self.frame_interval
        if self.test_mode:
            max_offset = max(total - span, 0)
            if self.num_clips == 1:
                return np.array([max_offset // 2])
            return np.round(np.arange(self.num_clips) * max_offset /
                            (self.num_clips - 1)).astype(int)
        avg_interval = (total - span + 1) // self.num_clips
        if avg_interval > 0:
            return (np.arange(self.num_clips) * avg_interval +
                    np.random.randint(avg_interval, size=self.num_clips))
        if total > max(self.num_clips, span):
            return np.sort(np.random.randint(total - span + 1, size=self.num_clips))
        return np.zeros(self.num_clips, dtype=int)

    def frame_indices(self, starts: Sequence[int], total: int) -> np.ndarray:
        """Frame indices of clips starting at ``starts``, kept inside the video."""
        inds = (np.asarray(starts)[:, None] +
                np.arange(self.clip_len)[None] * self.frame_interval).reshape(-1)
        if self.out_of_bound_opt == 'loop':
            return inds % total
        return np.minimum(inds, total - 1)

    def transform(self, results: Dict) -> Dict:
        total = int(results['total_frames'])
        results['frame_inds'] = self.frame_indices(self.clip_offsets(total), total)
        results.update(clip_len=self.clip_len, frame_interval=self.frame_interval,
                       num_clips=self.num_clips)
        return results


@TRANSFORMS.register_module()
class SegmentSampleFrames(BaseTransform):
    """Segment-based sampling: one frame from each of ``clip_len`` equal segments.

    VideoMAE's Something-Something V2 sampling (Tong et al., NeurIPS 2022, Sec. 4.1; the
    released ``ssv2.py``; TSN's segments with one frame each, mmaction2 ``UniformSample``):
    the video's frames ``[0, total)`` are split into ``clip_len`` segments, segment ``i``
    being ``[i * total // clip_len, (i + 1) * total // clip_len)``, so every frame belongs to
    exactly one segment and the clip spans the whole video whatever its length.

    - Training: one frame drawn uniformly inside each segment (``draw()``; replaceable).
    - Testing: view ``k`` of ``num_clips`` takes, in every segment, the frame at the fraction
      ``f_k`` of the segment's length; the fractions are ``(0.5 + k / num_clips) mod 1``
      sorted, so one view takes the segment middles and two views take the segment starts
      and middles, as VideoMAE's 2-view SSv2 test does.
    - A video with fewer frames than segments: segment ``i`` is the stretch
      ``[i * total / clip_len, (i + 1) * total / clip_len)`` of the time axis and its frame
      is the one under the drawn (or fixed) point, so the indices are non-decreasing and
      frames repeat (VideoMAE's released code returns frame 0 ``clip_len`` times there).

    NOTE: VideoMAE's training draw uses segments of ``total // clip_len`` frames and never
    samples the ``total % clip_len`` last frames; here the segments cover every frame.

    **Required keys:** ``total_frames``. **Added keys:** ``frame_inds``, ``clip_len``,
    ``frame_interval`` (None: there is no fixed step), ``num_clips``.

    Args:
        clip_len (int): Frames per clip, which is the number of segments.
        num_clips (int): Test views (different in-segment offsets); training draws one
            clip. Defaults to 1.
        test_mode (bool): Deterministic test sampling. Defaults to False.
    """

    def __init__(self, clip_len: int, num_clips: int = 1, test_mode: bool = False) -> None:
        if min(clip_len, num_clips) < 1:
            raise ValueError(f'clip_len and num_clips must be positive, got {clip_len}, '
                             f'{num_clips}')
        if num_clips > 1 and not test_mode:
            raise ValueError('SegmentSampleFrames draws one clip in training; num_clips > 1 '
                             'needs test_mode=True')
        self.clip_len = clip_len
        self.num_clips = num_clips
        self.test_mode = test_mode

    def test_fractions(self) -> np.ndarray:
        """In-segment positions (fractions of a segment) of the test views, ascending."""
        return np.sort((0.5 + np.arange(self.num_clips) / self.num_clips) % 1.0)

    def draw(self, total: int) -> np.ndarray:
        """The random training draw: a position in [0, 1) inside each segment."""
        if total >= self.clip_len:
            starts, ends = self.segments(total)
            return np.random.randint(ends - starts) / (ends - starts)
        return np.random.uniform(size=self.clip_len)

    def segments(self, total: int) -> Tuple[np.ndarray, np.ndarray]:
        """First frame and one past the last frame of each segment (``total >= clip_len``)."""
        edges = np.arange(self.clip_len + 1) * total // self.clip_len
        return edges[:-1], edges[1:]

    def indices(self, total: int, fractions: np.ndarray) -> np.ndarray:
        """The frame at the fraction ``fractions[i]`` of segment ``i``."""
        if total >= self.clip_len:
            starts, ends = self.segments(total)
            return starts + np.floor(fractions * (ends - starts)).astype(int)
        points = (np.arange(self.clip_len) + fractions) * total / self.clip_len
        return np.minimum(np.floor(points).astype(int), total - 1)

    def transform(self, results: Dict) -> Dict:
        total = int(results['total_frames'])
        if total < 1:
            video = results.get('filename', results.get('frame_dir', 'the video'))
            raise ValueError(f'SegmentSampleFrames: {video} has no frames')
        if self.test_mode:
            inds = np.concatenate([self.indices(total, np.full(self.clip_len, f))
                                   for f in self.test_fractions()])
        else:
            inds = self.indices(total, self.draw(total))
        results['frame_inds'] = inds
        results.update(clip_len=self.clip_len, frame_interval=None, num_clips=self.num_clips)
        return results


@TRANSFORMS.register_module()
class TemporalShiftTwoClips(SampleFrames):
    """CMAE-V's temporal shift: an online clip and a target clip shifted in time.

    Draws a shift ``delta`` uniformly from the integers in ``shift_range`` (in frames of the
    video), then the online start ``t0`` uniformly among the starts that keep both clips inside
    the video; the target clip starts at ``t0 + delta``. A video too short for the drawn shift
    gets the largest shift that fits (recorded in ``temporal_shift``), but never less than
    ``shift_range[0]``: a video that cannot hold two clips ``shift_range[0]`` frames apart
    raises a ``ValueError`` naming it and its frame count (a positive minimum shift is a
    requirement of the recipe, so it is not silently broken). With the minimum 0, a video
    shorter than a clip wraps around as ``SampleFrames`` does. Both index sets go to
    ``frame_inds`` (online first), with ``num_clips=2``; ``clip_starts`` and
    ``temporal_shift`` record the draw.

    **Required keys:** ``total_frames``. **Added keys:** ``frame_inds``, ``clip_len``,
    ``frame_interval``, ``num_clips``, ``clip_starts``, ``temporal_shift``.

    Args:
        clip_len (int): Frames per clip.
        frame_interval (int): Step between sampled frames. Defaults to 1.
        shift_range (Sequence[int]): Inclusive (min, max) shift in frames, min >= 0.
            Defaults to (0, 16).
        out_of_bound_opt (str): ``'loop'`` or ``'repeat_last'``. Defaults to ``'loop'``.
    """

    def __init__(self, clip_len: int, frame_interval: int = 1,
                 shift_range: Sequence[int] = (0, 16),
                 out_of_bound_opt: Literal['loop', 'repeat_last'] = 'loop') -> None:
        super().__init__(clip_len, frame_interval, num_clips=2,
                         out_of_bound_opt=out_of_bound_opt)
        if len(shift_range) != 2 or not 0 <= shift_range[0] <= shift_range[1]:
            raise ValueError(f'shift_range must be (min, max) with 0 <= min <= max, got '
                             f'{shift_range}')
        self.shift_range = (int(shift_range[0]), int(shift_range[1]))

    def draw(self, total: int) -> Tuple[int, int]:
        """The random draw: (online start t0, shift delta); replaceable in tests."""
        span = (self.clip_len - 1) * self.frame_interval + 1
        delta = int(np.random.randint(self.shift_range[0], self.shift_range[1] + 1))
        delta = min(delta, max(total - span, 0))
        t0 = int(np.random.randint(max(total - span - delta, 0) + 1))
        return t0, delta

    def transform(self, results: Dict) -> Dict:
        total = int(results['total_frames'])
        span = (self.clip_len - 1) * self.frame_interval + 1
        if self.shift_range[0] > max(total - span, 0):
            video = results.get('filename', results.get('frame_dir', 'the video'))
            raise ValueError(
                f'TemporalShiftTwoClips: {video} has {total} frames, too few for two clips of '
                f'{span} frames at least shift_range[0]={self.shift_range[0]} frames apart '
                f'(needs {span + self.shift_range[0]})')
        t0, delta = self.draw(total)
        results['frame_inds'] = self.frame_indices([t0, t0 + delta], total)
        results.update(clip_len=self.clip_len, frame_interval=self.frame_interval,
                       num_clips=2, clip_starts=(t0, t0 + delta), temporal_shift=delta)
        return results


@TRANSFORMS.register_module()
class PyAVDecode(BaseTransform):
    """Decode the frames ``frame_inds`` of ``results['filename']`` with PyAV, as RGB.

    Decodes sequentially up to the last index needed (mmaction2 ``PyAVDecode``).

    **Required keys:** ``filename``, ``frame_inds``. **Added keys:** ``imgs``,
    ``img_shape``, ``original_shape``.
    """

    def transform(self, results: Dict) -> Dict:
        path = results['filename']
        inds = np.asarray(results['frame_inds'], dtype=int)
        wanted, last = set(inds.tolist()), int(inds.max())
        frames = {}
        with _open_video(path) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i in wanted:
                    frames[i] = frame.to_ndarray(format='rgb24')
                if i >= last:
                    break
        missing = sorted(wanted - set(frames))
        if missing:
            raise ValueError(f'video {path} ended before frame {missing[0]} (decoded '
                             f'{len(frames)} of the requested frames)')
        results['imgs'] = np.stack([frames[i] for i in inds])
        results['img_shape'] = results['original_shape'] = results['imgs'].shape[1:3]
        return results


@TRANSFORMS.register_module()
class RawFrameDecode(BaseTransform):
    """Read the frames ``frame_inds`` from a frame folder, as RGB (mmaction2
    ``RawFrameDecode``).

    **Required keys:** ``frame_dir``, ``frame_inds``, ``filename_tmpl``, ``offset``.
    **Added keys:** ``imgs``, ``img_shape``, ``original_shape``.
    """

    def transform(self, results: Dict) -> Dict:
        cache: Dict[int, np.ndarray] = {}
        frames = []
        for i in np.asarray(results['frame_inds'], dtype=int).tolist():
            if i not in cache:
                path = osp.join(results['frame_dir'],
                                results['filename_tmpl'].format(i + results['offset']))
                image = cv2.imread(path, cv2.IMREAD_COLOR)
                if image is None:
                    raise FileNotFoundError(f'frame not found or unreadable: {path}')
                cache[i] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            frames.append(cache[i])
        results['imgs'] = np.stack(frames)
        results['img_shape'] = results['original_shape'] = results['imgs'].shape[1:3]
        return results


def _resize(imgs: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize N x H x W x C frames to (w, h) = ``size`` (bilinear)."""
    if imgs.shape[2] == size[0] and imgs.shape[1] == size[1]:
        return imgs
    return np.stack([cv2.resize(f, size, interpolation=cv2.INTER_LINEAR) for f in imgs])


@TRANSFORMS.register_module()
class VideoResize(BaseTransform):
    """Resize every frame: the short side to ``short_side``, or exactly to ``size`` (w, h).

    Args:
        short_side (int, optional): Target short side, keeping the aspect ratio.
        size (Sequence[int], optional): Target (w, h). Give exactly one of the two.
    """

    def __init__(self, short_side: Optional[int] = None,
                 size: Optional[Sequence[int]] = None) -> None:
        if (short_side is None) == (size is None):
            raise ValueError('give exactly one of short_side and size')
        self.short_side = short_side
        self.size = None if size is None else (int(size[0]), int(size[1]))

    def transform(self, results: Dict) -> Dict:
        h, w = results['imgs'].shape[1:3]
        size = self.size
        if size is None:
            scale = self.short_side / min(h, w)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
        results['imgs'] = _resize(results['imgs'], size)
        results['img_shape'] = results['imgs'].shape[1:3]
        return results


@TRANSFORMS.register_module()
class VideoRandomResizedCrop(BaseTransform):
    """One random crop (area share ``scale``, aspect ``ratio``) for all frames, resized to
    ``size`` x ``size`` (torchvision's ``RandomResizedCrop`` on a clip).

    Args:
        size (int): Output side.
        scale (Sequence[float]): Range of the crop's share of the frame area.
            Defaults to (0.08, 1.0).
        ratio (Sequence[float]): Range of the crop's aspect ratio w / h. Defaults to
            (3 / 4, 4 / 3).
    """

    def __init__(self, size: int, scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3)) -> None:
        self.size = size
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)

    def crop_box(self, h: int, w: int) -> Tuple[int, int, int, int]:
        """(x, y, crop w, crop h) of the random crop."""
        area = h * w
        for _ in range(10):
            target = area * np.random.uniform(*self.scale)
            aspect = np.exp(np.random.uniform(np.log(self.ratio[0]), np.log(self.ratio[1])))
            cw, ch = int(round(np.sqrt(target * aspect))), int(round(np.sqrt(target / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return (np.random.randint(w - cw + 1), np.random.randint(h - ch + 1), cw, ch)
        side = min(h, w)
        return (w - side) // 2, (h - side) // 2, side, side

    def transform(self, results: Dict) -> Dict:
        h, w = results['imgs'].shape[1:3]
        x, y, cw, ch = self.crop_box(h, w)
        crop = results['imgs'][:, y:y + ch, x:x + cw]
        results['imgs'] = _resize(np.ascontiguousarray(crop), (self.size, self.size))
        results['crop_box'] = (x, y, cw, ch)
        results['img_shape'] = results['imgs'].shape[1:3]
        return results


@TRANSFORMS.register_module()
class VideoFlip(BaseTransform):
    """Flip every frame horizontally with probability ``flip_ratio``.

    Do not use it where left and right are classes (Something-Something V2, the toy actions).

    Args:
        flip_ratio (float): Probability. Defaults to 0.5.
    """

    def __init__(self, flip_ratio: float = 0.5) -> None:
        self.flip_ratio = flip_ratio

    def transform(self, results: Dict) -> Dict:
        flip = bool(np.random.rand() < self.flip_ratio)
        if flip:
            results['imgs'] = np.ascontiguousarray(results['imgs'][:, :, ::-1])
        results['flip'] = flip
        return results


def _crop_grid(imgs: np.ndarray, size: int, boxes: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Stack the size x size crops at (x, y) ``boxes``, crops outermost."""
    return np.concatenate([imgs[:, y:y + size, x:x + size] for x, y in boxes])


class _MultiCrop(BaseTransform):
    """Test-time crops of side ``size``; ``num_crops`` multiplies the views."""

    def __init__(self, size: int) -> None:
        self.size = size

    def boxes(self, h: int, w: int) -> List[Tuple[int, int]]:
        raise NotImplementedError

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        h, w = imgs.shape[1:3]
        if min(h, w) < self.size:
            raise ValueError(f'{type(self).__name__}: frames {h} x {w} are smaller than the '
                             f'crop {self.size}')
        results['imgs'] = self.crops(imgs)
        results['num_crops'] = results.get('num_crops', 1) * (len(results['imgs']) //
                                                              len(imgs))
        results['img_shape'] = results['imgs'].shape[1:3]
        return results

    def crops(self, imgs: np.ndarray) -> np.ndarray:
        h, w = imgs.shape[1:3]
        return _crop_grid(imgs, self.size, self.boxes(h, w))


@TRANSFORMS.register_module()
class VideoCenterCrop(_MultiCrop):
    """The centre ``size`` x ``size`` crop of every frame."""

    def boxes(self, h: int, w: int) -> List[Tuple[int, int]]:
        return [((w - self.size) // 2, (h - self.size) // 2)]


@TRANSFORMS.register_module()
class VideoThreeCrop(_MultiCrop):
    """Three ``size`` crops along the long side: start, centre, end (mmaction2 ``ThreeCrop``,
    the 3-crop test of VideoMAE)."""

    def boxes(self, h: int, w: int) -> List[Tuple[int, int]]:
        s = self.size
        if w >= h:
            y = (h - s) // 2
            return [(0, y), ((w - s) // 2, y), (w - s, y)]
        x = (w - s) // 2
        return [(x, 0), (x, (h - s) // 2), (x, h - s)]


@TRANSFORMS.register_module()
class VideoTenCrop(_MultiCrop):
    """Four corner and the centre crops, and their horizontal flips (mmaction2 ``TenCrop``)."""

    def boxes(self, h: int, w: int) -> List[Tuple[int, int]]:
        s = self.size
        return [(0, 0), (w - s, 0), (0, h - s), (w - s, h - s), ((w - s) // 2, (h - s) // 2)]

    def crops(self, imgs: np.ndarray) -> np.ndarray:
        five = super().crops(imgs)
        return np.concatenate([five, five[:, :, ::-1]])


@TRANSFORMS.register_module()
class ClipColorJitter(BaseTransform):
    """Colour augmentation of chosen clips, the same for every frame of a clip.

    CMAE's target-view photometric augmentation (Sec. 3.3: colour jitter (0.4, 0.4, 0.4, 0.1)
    with p 0.8, grayscale with p 0.2, Gaussian blur sigma in [0.1, 2] with p 0.5), applied per
    clip: brightness, contrast, saturation and hue factors (in this order), grayscale and blur
    are drawn once per clip. Requires ``num_clips`` / ``clip_len`` from the sampler and no
    multi-crop before it.

    Args:
        clips (Sequence[int]): Indices of the clips to augment. Defaults to (1, ) (the target
            clip of :class:`TemporalShiftTwoClips`).
        brightness, contrast, saturation (float): Factor ranges ``[1 - x, 1 + x]``.
            Defaults to 0.4.
        hue (float): Hue shift range ``[-x, x]`` of a full turn. Defaults to 0.1.
        jitter_prob (float): Probability of the colour jitter. Defaults to 0.8.
        gray_prob (float): Probability of converting to grayscale. Defaults to 0.2.
        blur_prob (float): Probability of a Gaussian blur. Defaults to 0.5.
        blur_sigma (Sequence[float]): Blur sigma range in pixels. Defaults to (0.1, 2.0).
    """

    def __init__(self, clips: Sequence[int] = (1, ), brightness: float = 0.4,
                 contrast: float = 0.4, saturation: float = 0.4, hue: float = 0.1,
                 jitter_prob: float = 0.8, gray_prob: float = 0.2, blur_prob: float = 0.5,
                 blur_sigma: Sequence[float] = (0.1, 2.0)) -> None:
        self.clips = tuple(clips)
        self.brightness, self.contrast, self.saturation, self.hue = (brightness, contrast,
                                                                     saturation, hue)
        self.jitter_prob, self.gray_prob, self.blur_prob = jitter_prob, gray_prob, blur_prob
        self.blur_sigma = tuple(blur_sigma)

    @staticmethod
    def _gray(x: np.ndarray) -> np.ndarray:
        return (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]

    def augment(self, clip: np.ndarray) -> np.ndarray:
        """Augment one clip T x H x W x 3 (uint8 RGB)."""
        x = clip.astype(np.float32)
        if np.random.rand() < self.jitter_prob:
            b, c, s = (np.random.uniform(1 - v, 1 + v)
                       for v in (self.brightness, self.contrast, self.saturation))
            h = np.random.uniform(-self.hue, self.hue)
            x = np.clip(x * b, 0, 255)
            mean = self._gray(x).mean(axis=(1, 2, 3), keepdims=True)
            x = np.clip(mean + c * (x - mean), 0, 255)
            gray = self._gray(x)
            x = np.clip(gray + s * (x - gray), 0, 255)
            if h:
                hsv = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2HSV_FULL)
                                for f in x.astype(np.uint8)])
                hsv[..., 0] = (hsv[..., 0].astype(int) + int(round(h * 256))) % 256
                x = np.stack([cv2.cvtColor(f, cv2.COLOR_HSV2RGB_FULL) for f in hsv]).astype(
                    np.float32)
        if np.random.rand() < self.gray_prob:
            x = np.repeat(self._gray(x), 3, axis=-1)
        if np.random.rand() < self.blur_prob:
            sigma = np.random.uniform(*self.blur_sigma)
            x = np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in x])
        return np.clip(np.rint(x), 0, 255).astype(np.uint8)

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs'].copy()
        clip_len, num_clips = results['clip_len'], results['num_clips']
        if len(imgs) != clip_len * num_clips:
            raise ValueError(f'ClipColorJitter expects {num_clips} clips of {clip_len} frames, '
                             f'got {len(imgs)} frames (put it before multi-crop transforms)')
        for k in self.clips:
            if not 0 <= k < num_clips:
                raise ValueError(f'ClipColorJitter: clip {k} out of {num_clips} clips')
            imgs[k * clip_len:(k + 1) * clip_len] = self.augment(
                imgs[k * clip_len:(k + 1) * clip_len])
        results['imgs'] = imgs
        return results


@TRANSFORMS.register_module()
class ClipConsistentTransform(BaseTransform):
    """Apply an image transform to every frame of a clip with the same random draws.

    VideoMAE fine-tunes with RandAugment (``rand-m7-n4-mstd0.5-inc1``) and random erasing
    whose ops, magnitudes and boxes are drawn once per clip and applied to all its frames
    (the released ``video_transforms.create_random_augment`` on the frame list,
    ``RandomErasing(cube=True)``). This wrapper gets that from any mmpretrain / mmcv image
    transform, e.g. ``dict(type='mmpretrain.RandAugment', policies='timm_increasing', ...)``:
    the random state (numpy's and Python's) is saved before the first frame of a clip and
    restored before each further frame, so every frame replays the first frame's draws (valid
    for transforms whose draws depend only on the image size, as mmpretrain's RandAugment and
    RandomErasing do). Different clips of a sample get independent draws.

    Frames are handed over as BGR (mmcv's channel order, which colour ops such as
    ``ColorTransform`` assume) and turned back into RGB.

    **Required keys:** ``imgs``, ``clip_len``, ``num_clips`` (put it before multi-crop).
    **Modified keys:** ``imgs``, ``img_shape``.

    Args:
        transform (dict): The image transform, built from ``TRANSFORMS`` (scope prefixes such
            as ``'mmpretrain.'`` allowed). It reads and writes ``results['img']``.
    """

    def __init__(self, transform: dict) -> None:
        self.frame_transform = TRANSFORMS.build(transform)

    def _apply(self, frame: np.ndarray) -> np.ndarray:
        bgr = np.ascontiguousarray(frame[..., ::-1])
        out = self.frame_transform(dict(img=bgr, img_shape=bgr.shape[:2],
                                        ori_shape=bgr.shape[:2]))
        if out is None:
            raise ValueError(f'ClipConsistentTransform: {self.frame_transform!r} dropped a frame')
        return np.ascontiguousarray(out['img'][..., ::-1])

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        clip_len, num_clips = results['clip_len'], results['num_clips']
        if len(imgs) != clip_len * num_clips:
            raise ValueError(f'ClipConsistentTransform expects {num_clips} clips of {clip_len} '
                             f'frames, got {len(imgs)} frames (put it before multi-crop '
                             'transforms)')
        frames = []
        for k in range(num_clips):
            np_state, py_state = np.random.get_state(), random.getstate()
            for t in range(clip_len):
                if t:
                    np.random.set_state(np_state)
                    random.setstate(py_state)
                frames.append(self._apply(imgs[k * clip_len + t]))
        results['imgs'] = np.stack(frames)
        results['img_shape'] = results['imgs'].shape[1:3]
        return results


@TRANSFORMS.register_module()
class PackVideoInputs(BaseTransform):
    """Pack frames as C x T x H x W clips and the label into a ``DataSample``.

    Modes: ``'views'`` packs all crops x clips as one V x C x T x H x W tensor (recognition,
    V = num_crops x num_clips); ``'clip'`` a single C x T x H x W clip (VideoMAE
    pre-training); ``'clip_list'`` a list of the clips (CMAE-V: ``[online, target]``).

    Args:
        mode (str): ``'views'``, ``'clip'`` or ``'clip_list'``. Defaults to ``'views'``.
        meta_keys (Sequence[str]): Keys copied into the data sample's meta information.
    """

    def __init__(self, mode: Literal['views', 'clip', 'clip_list'] = 'views',
                 meta_keys: Sequence[str] = ('filename', 'frame_dir', 'frame_inds',
                                             'num_clips', 'num_crops', 'clip_starts',
                                             'temporal_shift')) -> None:
        if mode not in PACK_MODES:
            raise ValueError(f'mode must be one of {PACK_MODES}, got {mode!r}')
        self.mode = mode
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: Dict) -> Dict:
        imgs = results['imgs']
        clip_len = results['clip_len']
        views = torch.from_numpy(np.ascontiguousarray(imgs)).view(
            -1, clip_len, *imgs.shape[1:]).permute(0, 4, 1, 2, 3).contiguous()
        if self.mode == 'clip':
            if len(views) != 1:
                raise ValueError(f"PackVideoInputs(mode='clip') got {len(views)} clips")
            inputs = views[0]
        elif self.mode == 'clip_list':
            inputs = list(views)
        else:
            inputs = views
        sample = DataSample()
        if 'gt_label' in results:
            sample.set_gt_label(results['gt_label'])
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)
