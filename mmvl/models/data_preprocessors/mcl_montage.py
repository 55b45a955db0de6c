# Copyright (c) mmvl contributors. All rights reserved.
"""MCL's montage pretext task: image pyramids built from down-sampled views.

"Multi-Level Contrastive Learning for Dense Prediction Task", Guo et al., arXiv 2304.02010,
Sec. 3 (official code: github.com/GuoQiushan/MCL@1912aa9, ``openselfsup/models/mcl.py``,
``MCL.random_combine_img`` and ``MCL.generate_img_pyramid``; re-implemented here).

Each unique image arrives as several augmented views of one canvas size S (8 in the paper: 4
from each of two BYOL pipelines). Level ``i`` of a view set is built from one view of every
image and has a down-sampling ratio ``r_i``:

- level 0 (``r = 1``) is the views themselves, in batch order (image ``b`` is item ``b``);
- level ``i > 0`` holds ``n_i`` montages of ``r_i x r_i`` sub-images: ``r_i^2 * n_i`` source
  indices are drawn as ``randperm(r_i^2 * n_i) mod B``, each source view is down-sampled by
  ``1 / r_i`` with nearest interpolation (``F.interpolate``'s default, as the authors) and the
  sub-images are tiled row-major, so cell ``(row, col)`` of montage ``m`` holds source
  ``sources[m * r^2 + row * r + col]``.

The query set uses views ``query_views[i]`` for level ``i``, the key set ``key_views[i]``;
both sets concatenate their levels into one batch of ``sum(n_i)`` canvases. The network later
reads level ``i`` at the FPN output of stride ``32 / r_i``, where each sub-image covers
exactly one cell of ``S / 32 x S / 32`` feature pixels (7 x 7 at 224 px).

Glossary: ``B`` unique images per batch (per GPU); ``n_i`` montages at level ``i`` (the
authors' ``batch_sizes``: 128, 32, 8, 4 for B = 128, so level 3 uses each image twice);
``r_i`` the grid side (1, 2, 4, 8).
"""
from typing import List, NamedTuple, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.utils import SelfSupDataPreprocessor
from torch import Tensor

from mmvl.registry import MODELS


class MontagePyramid(NamedTuple):
    """The two view sets of MCL's pretext task.

    Attributes:
        query (Tensor): Query-set canvases, levels concatenated, shape (sum(n_i), C, S, S).
        key (Tensor): Key-set canvases, same layout.
        query_sources (list[Tensor]): Per level, the source image index of every cell, shape
            (n_i * r_i^2,), montage-major then row-major inside a montage.
        key_sources (list[Tensor]): The same for the key set.
        ratios (tuple[int]): ``r_i`` per level.
        num_montages (tuple[int]): ``n_i`` per level (``n_0 = B``).
    """
    query: Tensor
    key: Tensor
    query_sources: List[Tensor]
    key_sources: List[Tensor]
    ratios: tuple
    num_montages: tuple

    @property
    def num_images(self) -> int:
        """B, the unique images of the batch (level 0 holds each once, in order)."""
        return self.num_montages[0]

    def level_slice(self, level: int) -> slice:
        """The rows of :attr:`query` / :attr:`key` that hold ``level``."""
        start = sum(self.num_montages[:level])
        return slice(start, start + self.num_montages[level])


def sample_montage_sources(num_images: int,
                           num_montages: int,
                           ratio: int,
                           generator: Optional[torch.Generator] = None) -> Tensor:
    """Draw the source image of every sub-image: ``randperm(r^2 * n) mod B``.

    Every image appears ``floor`` or ``ceil`` of ``r^2 * n / B`` times (the authors' level 3,
    8 x 8 x 4 cells for 128 images, uses each image twice).

    Args:
        num_images (int): B.
        num_montages (int): n, the montages to fill.
        ratio (int): r, the grid side.
        generator (torch.Generator, optional): Source of the permutation, for reproducible
            draws. Defaults to None (torch's global generator).

    Returns:
        Tensor: (n * r^2,) int64 source indices on the CPU.
    """
    return torch.randperm(ratio**2 * num_montages, generator=generator) % num_images


def tile_montages(images: Tensor, sources: Tensor, ratio: int) -> Tensor:
    """Down-sample ``images`` by ``1 / ratio`` (nearest) and tile ``sources`` row-major.

    Args:
        images (Tensor): The views of one set, shape (B, C, S, S), S divisible by ``ratio``.
        sources (Tensor): (n * r^2,) indices into ``images``.
        ratio (int): r, the grid side.

    Returns:
        Tensor: (n, C, S, S) montages.
    """
    if sources.numel() % ratio**2:
        raise ValueError(f'{sources.numel()} sources do not fill {ratio}x{ratio} montages')
    small = F.interpolate(images, scale_factor=1. / ratio)[sources.to(images.device)]
    n, (c, h, w) = sources.numel() // ratio**2, small.shape[1:]
    small = small.reshape(n, ratio, ratio, c, h, w).permute(0, 3, 1, 4, 2, 5)
    return small.reshape(n, c, ratio * h, ratio * w)


def build_montage_pyramid(
        views: Sequence[Tensor],
        ratios: Sequence[int],
        num_montages: Sequence[int],
        query_views: Sequence[int],
        key_views: Sequence[int],
        sources: Optional[Sequence[Sequence[Optional[Tensor]]]] = None,
        generator: Optional[torch.Generator] = None) -> MontagePyramid:
    """Build the query and key image pyramids of one batch.

    Args:
        views (Sequence[Tensor]): The views, each (B, C, S, S).
        ratios (Sequence[int]): r per level; level 0 must be 1.
        num_montages (Sequence[int]): n per level; ``n_0`` must be B.
        query_views (Sequence[int]): The view each query level is built from.
        key_views (Sequence[int]): The view each key level is built from.
        sources (Sequence, optional): ``[query_sources, key_sources]``, each a list with one
            (n_i * r_i^2,) tensor (or None: drawn) per level, to fix the draw. Level 0 must be
            None or ``arange(B)``. Defaults to None (all drawn).
        generator (torch.Generator, optional): Used for the drawn levels. Defaults to None.

    Returns:
        MontagePyramid: Both sets and the source of every cell.
    """
    num_levels = len(ratios)
    if not (len(num_montages) == len(query_views) == len(key_views) == num_levels):
        raise ValueError('ratios, num_montages, query_views and key_views need one entry per '
                         f'level, got {len(ratios)}, {len(num_montages)}, {len(query_views)} '
                         f'and {len(key_views)}')
    num_images = views[0].size(0)
    if ratios[0] != 1 or num_montages[0] != num_images:
        raise ValueError('level 0 holds the whole views: it needs ratio 1 and num_montages[0] '
                         f'equal to the images per batch ({num_images}), got ratio {ratios[0]} '
                         f'and {num_montages[0]} montages (set the dataloader batch size)')
    sources = sources or [[None] * num_levels, [None] * num_levels]
    identity = torch.arange(num_images)
    sets = []
    for view_ids, fixed in zip((query_views, key_views), sources):
        images, cells = [], []
        for level, (ratio, count, view_id) in enumerate(zip(ratios, num_montages, view_ids)):
            level_sources = fixed[level]
            if level == 0:
                if level_sources is not None and not torch.equal(level_sources.cpu(), identity):
                    raise ValueError('level 0 sources must be arange(B)')
                images.append(views[view_id])
                cells.append(identity.to(views[view_id].device))
                continue
            if level_sources is None:
                level_sources = sample_montage_sources(num_images, count, ratio, generator)
            if level_sources.numel() != count * ratio**2:
                raise ValueError(f'level {level}: {count} montages of {ratio}x{ratio} need '
                                 f'{count * ratio**2} sources, got {level_sources.numel()}')
            images.append(tile_montages(views[view_id], level_sources, ratio))
            cells.append(level_sources.to(views[view_id].device))
        sets.append((torch.cat(images), cells))
    (query, query_sources), (key, key_sources) = sets
    return MontagePyramid(query, key, query_sources, key_sources, tuple(ratios),
                          tuple(num_montages))


@MODELS.register_module()
class MCLDataPreprocessor(SelfSupDataPreprocessor):
    """Normalises MCL's views and, in training, assembles the montage pyramids.

    The views come from ``mmpretrain.MultiView`` (``num_views=[4, 4]``: views 0-3 from the
    first BYOL pipeline, 4-7 from the second) at the canvas size. At test time (or with
    ``training=False``) the normalised views are returned unchanged.

    The random draw of the montage sources uses :attr:`generator` (None: torch's global
    generator); set it to a seeded ``torch.Generator`` to fix the draw.

    Args:
        canvas_size (int): S, the side of every view and montage; a multiple of 32 and of
            every ratio. Defaults to 224.
        downsample_ratios (Sequence[int]): r per level. Defaults to (1, 2, 4, 8).
        num_montages (Sequence[int]): n per level, ``n_0`` = the images per batch. Defaults
            to (128, 32, 8, 4), the authors' setting for 128 images per GPU.
        query_views (Sequence[int]): View of each query level. Defaults to (0, 1, 2, 3).
        key_views (Sequence[int]): View of each key level. Defaults to (4, 5, 6, 7).
        **kwargs: Normalisation settings of ``SelfSupDataPreprocessor`` (``mean``, ``std``,
            ``to_rgb``, ...).
    """

    def __init__(self,
                 canvas_size: int = 224,
                 downsample_ratios: Sequence[int] = (1, 2, 4, 8),
                 num_montages: Sequence[int] = (128, 32, 8, 4),
                 query_views: Sequence[int] = (0, 1, 2, 3),
                 key_views: Sequence[int] = (4, 5, 6, 7),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        bad = [r for r in downsample_ratios if canvas_size % r]
        if canvas_size % 32 or bad:
            raise ValueError(f'canvas_size {canvas_size} must be a multiple of 32 and of every '
                             f'downsample ratio {tuple(downsample_ratios)}')
        self.canvas_size = canvas_size
        self.downsample_ratios = tuple(downsample_ratios)
        self.num_montages = tuple(num_montages)
        self.query_views = tuple(query_views)
        self.key_views = tuple(key_views)
        self.generator: Optional[torch.Generator] = None

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise the views; in training, replace them by a :class:`MontagePyramid`.

        Args:
            data (dict): ``inputs`` (a list of views, each B x C x S x S) and
                ``data_samples`` from the dataloader.
            training (bool): Whether to build the montages. Defaults to False.

        Returns:
            dict: ``inputs`` (the pyramid in training, else the list of views) and
            ``data_samples``.
        """
        data = super().forward(data, training)
        if not training:
            return data
        views: Union[List[Tensor], Tensor] = data['inputs']
        needed = max(self.query_views + self.key_views) + 1
        if not isinstance(views, list) or len(views) < needed:
            got = len(views) if isinstance(views, list) else 'a single tensor'
            raise ValueError(f'MCLDataPreprocessor needs {needed} views per image (MultiView), '
                             f'got {got}')
        size = tuple(views[0].shape[-2:])
        if size != (self.canvas_size, self.canvas_size):
            raise ValueError(f'views are {size[0]}x{size[1]} but canvas_size is '
                             f'{self.canvas_size}: crop them to the canvas in the pipeline')
        data['inputs'] = build_montage_pyramid(
            views, self.downsample_ratios, self.num_montages, self.query_views, self.key_views,
            generator=self.generator)
        return data
