# Copyright (c) mmvl contributors. All rights reserved.
"""OpenCV drawing of toy-world shapes and conversion of masks to the COCO annotation fields.

Everything here is a pure function of its arguments (randomness comes in as a
``numpy.random.Generator``), so the same inputs always give byte-identical images.
Images are BGR ``uint8`` arrays of shape (H, W, 3); masks are ``uint8`` arrays of shape (H, W)
holding 0 or 1.
"""
import math
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .vocabulary import CLASSES, COLOUR_BGR

#: Fixed-point bits used for sub-pixel polygon vertices in ``cv2.fillPoly``.
_SHIFT = 4
#: PNG and JPEG encoder parameters; fixed so that re-runs give byte-identical files.
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]
JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 92]


def _unit_polygon(shape: str) -> np.ndarray:
    """Vertices of a shape with circumradius 1 centred at the origin, y pointing down."""
    if shape == 'square':
        k = 1 / math.sqrt(2)
        return np.array([[-k, -k], [k, -k], [k, k], [-k, k]])
    if shape == 'triangle':
        angles = np.deg2rad([-90, 30, 150])
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if shape == 'star':
        angles = np.deg2rad(-90 + 36 * np.arange(10))
        radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
    if shape == 'hexagon':
        angles = np.deg2rad(60 * np.arange(6))
        return np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if shape == 'cross':
        a, b = 0.34, 0.95
        return np.array([[-a, -b], [a, -b], [a, -a], [b, -a], [b, a], [a, a], [a, b], [-a, b],
                         [-a, a], [-b, a], [-b, -a], [-a, -a]])
    if shape == 'diamond':
        return np.array([[0.0, -1.0], [0.62, 0.0], [0.0, 1.0], [-0.62, 0.0]])
    raise KeyError(f'{shape!r} is not a polygon shape')


def shape_mask(shape: str, centre: Sequence[float], radius: float, angle: float,
               image_size: int) -> np.ndarray:
    """Rasterise one shape, clipped to the image.

    Args:
        shape (str): One of ``CLASSES``.
        centre (Sequence[float]): (x, y) centre in pixels; may lie outside the image.
        radius (float): Circumradius in pixels.
        angle (float): Rotation in degrees (for ``crescent``: direction of the bite).
        image_size (int): Side of the square image.

    Returns:
        np.ndarray: Mask of shape (image_size, image_size), dtype uint8, values 0/1.
    """
    if shape not in CLASSES:
        raise KeyError(f'unknown shape {shape!r}; valid shapes: {", ".join(CLASSES)}')
    mask = np.zeros((image_size, image_size), np.uint8)
    scale = 1 << _SHIFT
    cx, cy = float(centre[0]), float(centre[1])
    if shape in ('circle', 'crescent'):
        cv2.circle(mask, (round(cx * scale), round(cy * scale)), round(radius * scale), 1, -1,
                   cv2.LINE_8, _SHIFT)
        if shape == 'crescent':
            theta = math.radians(angle)
            bx, by = cx + 0.5 * radius * math.cos(theta), cy + 0.5 * radius * math.sin(theta)
            cv2.circle(mask, (round(bx * scale), round(by * scale)), round(0.8 * radius * scale),
                       0, -1, cv2.LINE_8, _SHIFT)
        return mask
    theta = math.radians(angle)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    pts = _unit_polygon(shape) @ rot.T * radius + np.array([cx, cy])
    cv2.fillPoly(mask, [np.round(pts * scale).astype(np.int32)], 1, cv2.LINE_8, _SHIFT)
    return mask


def textured_background(rng: np.random.Generator, image_size: int) -> np.ndarray:
    """Draw a dark, mildly textured and noisy background.

    Args:
        rng (np.random.Generator): Source of randomness.
        image_size (int): Side of the square image.

    Returns:
        np.ndarray: Float image of shape (image_size, image_size, 3) in [0, 255].
    """
    base = rng.uniform(45, 80) + rng.uniform(-8, 8, size=3)
    coarse = rng.normal(0, 10, size=(5, 5, 3)).astype(np.float32)
    texture = cv2.resize(coarse, (image_size, image_size), interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0, 4, size=(image_size, image_size, 3))
    return np.clip(base + texture + grain, 0, 255)


def paint(canvas: np.ndarray, mask: np.ndarray, colour: str, rng: np.random.Generator) -> None:
    """Paint a mask onto a float canvas in place with a jittered, slightly noisy colour.

    Args:
        canvas (np.ndarray): Float image of shape (H, W, 3), modified in place.
        mask (np.ndarray): Mask of shape (H, W), values 0/1.
        colour (str): One of ``COLOURS``.
        rng (np.random.Generator): Source of randomness.
    """
    tint = np.asarray(COLOUR_BGR[colour], np.float64) + rng.uniform(-10, 10, size=3)
    region = mask.astype(bool)
    noise = rng.normal(0, 3, size=(int(region.sum()), 3))
    canvas[region] = np.clip(tint + noise, 0, 255)


def to_uint8(canvas: np.ndarray) -> np.ndarray:
    """Round a float canvas to a ``uint8`` BGR image."""
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def visible_masks(full_masks: Sequence[np.ndarray]) -> List[np.ndarray]:
    """Visible part of each mask when masks are painted in order (later ones on top).

    Args:
        full_masks (Sequence[np.ndarray]): Masks of shape (H, W) in painting order.

    Returns:
        list[np.ndarray]: One visible mask per input, uint8 0/1.
    """
    result: List[np.ndarray] = [np.zeros(0)] * len(full_masks)
    covered = None
    for i in range(len(full_masks) - 1, -1, -1):
        mask = full_masks[i]
        result[i] = mask if covered is None else (mask & (1 - covered))
        covered = mask.copy() if covered is None else (covered | mask)
    return result


def remove_specks(mask: np.ndarray, min_pixels: int) -> np.ndarray:
    """Drop 8-connected pieces smaller than ``min_pixels`` (slivers left by occlusion).

    Args:
        mask (np.ndarray): Mask of shape (H, W), values 0/1.
        min_pixels (int): Smallest piece kept.

    Returns:
        np.ndarray: Cleaned uint8 mask.
    """
    num, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(num, np.uint8)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_pixels
    return keep[labels]


def has_hole(mask: np.ndarray) -> bool:
    """Whether a mask encloses background pixels (not representable as COCO polygons).

    Args:
        mask (np.ndarray): Mask of shape (H, W), values 0/1.

    Returns:
        bool: True if filling the outer contours adds more than two pixels.
    """
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 1, -1)
    return int((filled & (1 - mask)).sum()) > 2


def mask_to_polygons(mask: np.ndarray, min_area: float = 0.5) -> List[List[float]]:
    """Outer contours of a mask as COCO polygons, dropping degenerate pieces.

    COCO instances format (``segmentation`` as a list of ``[x1, y1, x2, y2, ...]``),
    https://cocodataset.org/#format-data. Contours are traced on the mask upsampled 2x, so the
    vertices lie a quarter pixel inside the pixel edges (COCO coordinates: pixel ``i`` spans
    ``[i, i + 1]``) and rasterising the polygons with pycocotools gives back the mask exactly,
    where tracing pixel centres would lose about half a pixel all around.

    Args:
        mask (np.ndarray): Mask of shape (H, W), values 0/1.
        min_area (float): Smallest polygon area kept, in pixels. Defaults to 0.5.

    Returns:
        list[list[float]]: One flat vertex list (at least 3 points) per piece.
    """
    upsampled = np.kron(mask, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(upsampled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for contour in contours:
        if len(contour) < 3 or cv2.contourArea(contour) < 4 * min_area:
            continue
        polygons.append([(float(v) + 0.5) / 2 for v in contour.reshape(-1)])
    return polygons


def mask_to_bbox(mask: np.ndarray) -> List[float]:
    """Tight ``[x, y, w, h]`` box of a non-empty mask, in pixels (COCO ``bbox``)."""
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return [float(x0), float(y0), float(xs.max() - x0 + 1), float(ys.max() - y0 + 1)]


def mask_to_rle(mask: np.ndarray) -> dict:
    """Uncompressed COCO RLE (``{'counts': [...], 'size': [h, w]}``, column-major runs).

    Runs start with the number of zeros, as in COCO, https://cocodataset.org/#format-data.

    Args:
        mask (np.ndarray): Mask of shape (H, W), values 0/1.

    Returns:
        dict: RLE that ``pycocotools.mask.frPyObjects`` accepts.
    """
    flat = mask.reshape(-1, order='F').astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:
        counts = [0] + counts
    return dict(counts=[int(c) for c in counts], size=[int(mask.shape[0]), int(mask.shape[1])])


def encode_png(image: np.ndarray) -> bytes:
    """Encode a BGR image as PNG with fixed parameters."""
    ok, buf = cv2.imencode('.png', image, PNG_PARAMS)
    if not ok:
        raise RuntimeError('OpenCV failed to encode a PNG image')
    return buf.tobytes()


def encode_jpeg(image: np.ndarray) -> bytes:
    """Encode a BGR image as JPEG with fixed parameters."""
    ok, buf = cv2.imencode('.jpg', image, JPEG_PARAMS)
    if not ok:
        raise RuntimeError('OpenCV failed to encode a JPEG image')
    return buf.tobytes()


def geometry(mask: np.ndarray) -> Tuple[int, List[float], List[List[float]]]:
    """Area, tight box and polygons of a visible mask.

    Args:
        mask (np.ndarray): Non-empty mask of shape (H, W), values 0/1.

    Returns:
        tuple:
        - int: Number of mask pixels (COCO ``area``).
        - list[float]: ``[x, y, w, h]`` (COCO ``bbox``).
        - list[list[float]]: Polygons (COCO ``segmentation``).
    """
    return int(mask.sum()), mask_to_bbox(mask), mask_to_polygons(mask)
