# Copyright (c) mmvl contributors. All rights reserved.
"""Pictures of vision-language predictions: VQA answers and retrieval rankings.

Each function returns an RGB ``uint8`` canvas: the image(s) enlarged for reading, the text
(question, query or captions) and the scores as labelled bars, drawn with OpenCV.
"""
import textwrap
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_TEXT = (20, 20, 20)
_BAR = (70, 130, 220)
_BEST = (40, 170, 70)
_LINE = 22  # pixels per text line


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """Resize ``image`` so that its longer side is ``side`` (nearest when enlarging)."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    interp = cv2.INTER_NEAREST if scale > 1 else cv2.INTER_AREA
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                      interpolation=interp)


def _put(canvas: np.ndarray, text: str, x: int, y: int, scale: float = 0.5,
         color=_TEXT, thickness: int = 1) -> None:
    cv2.putText(canvas, text.encode('ascii', 'replace').decode(), (x, y), _FONT, scale, color,
                thickness, cv2.LINE_AA)


def _wrap(text: str, width_px: int, scale: float = 0.5) -> List[str]:
    chars = max(8, int(width_px / (19 * scale)))
    return textwrap.wrap(text, chars) or ['']


def _bars(canvas: np.ndarray, items: Sequence[Tuple[str, float]], x: int, y: int,
          width: int, highlight: Optional[int] = 0) -> int:
    """Labelled bars of scores in [0, 1] (clipped); returns the y below the last one."""
    for i, (label, score) in enumerate(items):
        length = int(round(width * float(np.clip(score, 0, 1))))
        color = _BEST if i == highlight else _BAR
        cv2.rectangle(canvas, (x, y + 4), (x + max(length, 1), y + 16), color, -1)
        _put(canvas, f'{label}  {score:.3f}', x + 4, y + 32)
        y += 40
    return y


def draw_vqa(image: np.ndarray, question: str, answers: Sequence[Tuple[str, float]],
             side: int = 320, panel: int = 360) -> np.ndarray:
    """The image with its question and the top answers with their probabilities.

    Args:
        image (np.ndarray): RGB image, H x W x 3.
        question (str): The question.
        answers (Sequence[tuple[str, float]]): (answer, probability), best first.
        side (int): Longer side of the drawn image. Defaults to 320.
        panel (int): Width of the text panel. Defaults to 360.

    Returns:
        np.ndarray: RGB canvas.
    """
    img = _fit(image, side)
    lines = _wrap('Q: ' + question, panel - 20)
    height = max(img.shape[0], 20 + _LINE * len(lines) + 40 * len(answers) + 30)
    canvas = np.full((height, img.shape[1] + panel, 3), 255, np.uint8)
    canvas[:img.shape[0], :img.shape[1]] = img
    x, y = img.shape[1] + 10, 24
    for line in lines:
        _put(canvas, line, x, y, 0.55, thickness=1)
        y += _LINE
    _bars(canvas, answers, x, y, panel - 30)
    return canvas


def draw_image_to_text(image: np.ndarray, texts: Sequence[Tuple[str, float]],
                       side: int = 320, panel: int = 480) -> np.ndarray:
    """A query image and its best-ranked captions with their scores (best first).

    Scores are drawn as given; bars show them min-max scaled over the shown captions.
    """
    img = _fit(image, side)
    scores = np.array([s for _, s in texts], dtype=float)
    span = scores.max() - scores.min() if len(scores) else 0
    rel = (scores - scores.min()) / span if span > 0 else np.ones_like(scores)
    rows = [_wrap(f'{i + 1}. {t}  ({s:.3f})', panel - 20) for i, (t, s) in enumerate(texts)]
    height = max(img.shape[0], 30 + sum(_LINE * len(r) + 22 for r in rows))
    canvas = np.full((height, img.shape[1] + panel, 3), 255, np.uint8)
    canvas[:img.shape[0], :img.shape[1]] = img
    x, y = img.shape[1] + 10, 24
    for i, (row, r) in enumerate(zip(rows, rel)):
        for line in row:
            _put(canvas, line, x, y, 0.5, _BEST if i == 0 else _TEXT)
            y += _LINE
        cv2.rectangle(canvas, (x, y - 12), (x + max(1, int(r * (panel - 30))), y - 4), _BAR, -1)
        y += 22
    return canvas


def draw_text_to_image(query: str, images: Sequence[np.ndarray], scores: Sequence[float],
                       side: int = 200) -> np.ndarray:
    """A query caption above its best-ranked images (left to right) and their scores."""
    tiles = [_fit(img, side) for img in images]
    width = max(len(tiles), 1) * (side + 10) + 10
    lines = _wrap('Query: ' + query, width - 20)
    top = 20 + _LINE * len(lines)
    canvas = np.full((top + side + 40, width, 3), 255, np.uint8)
    y = 24
    for line in lines:
        _put(canvas, line, 10, y, 0.55)
        y += _LINE
    for i, (tile, score) in enumerate(zip(tiles, scores)):
        x = 10 + i * (side + 10)
        canvas[top:top + tile.shape[0], x:x + tile.shape[1]] = tile
        if i == 0:
            cv2.rectangle(canvas, (x - 2, top - 2), (x + tile.shape[1] + 1, top + tile.shape[0]
                                                     + 1), _BEST, 2)
        _put(canvas, f'{i + 1}. {score:.3f}', x, top + side + 28, 0.55)
    return canvas
