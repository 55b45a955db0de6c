# Copyright (c) mmvl contributors. All rights reserved.
"""Infinite sampler whose every batch comes from one source data set of a ``ConcatDataset``.

UNINEXT, "Universal Instance Perception as Object Discovery and Retrieval" (Yan et al.,
CVPR 2023, https://arxiv.org/abs/2303.06674), trains its image stage on COCO and
refcoco-mixed at 1:1 with a multi-dataset sampler and per-dataset batches, so each batch
holds one task (detection or grounding) and one kind of prompt.
"""
from typing import Iterator, List, Sequence, Sized, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmvl.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class MultiSourceTaskSampler(Sampler):
    """Yield runs of ``batch_size`` indices, each run from one source picked by ratio.

    For a ``ConcatDataset`` of N sources, the stream is cut into runs of ``batch_size``
    indices; the source of each run is drawn at random with probability
    ``source_ratio[i] / sum(source_ratio)``, and the run takes the next indices of that
    source (a fresh permutation of the source each time it is used up, or its plain order
    without ``shuffle``). The sampler is infinite (use an iteration-based loop).

    Use it with the dataloader's default batch sampler and the same batch size, so that
    every batch is one run::

        train_dataloader = dict(
            batch_size=2,
            sampler=dict(type='MultiSourceTaskSampler', batch_size=2, source_ratio=[1, 1]),
            dataset=dict(type='mmdet.ConcatDataset', datasets=[...]))

    The sampler cannot see the dataloader's ``batch_size``; a different one mixes sources
    within a batch, so keep the two equal (mmvl's config tests check the shipped configs).

    Distributed training: every rank yields its own stream from the seed ``seed + rank``
    (source draws and permutations), so ranks see different batches and may use different
    sources in the same iteration; ranks do not split the sources into disjoint parts, but
    each rank visits every sample of a source once per pass over it. ``seed=None`` takes a
    random seed shared by the ranks (mmengine's ``sync_random_seed``), which mmengine's
    runner passes in unless ``randomness.seed`` is set.

    Args:
        dataset (Sized): A ``ConcatDataset`` (has ``datasets`` and ``cumulative_sizes``),
            e.g. mmdet's, which allows sources with different metainfo.
        batch_size (int): Samples per run; equal to the dataloader's batch size.
        source_ratio (Sequence[int | float]): Relative frequency of each source's batches,
            one positive number per source.
        shuffle (bool): Shuffle each source. Defaults to True.
        seed (int, optional): Random seed; None draws one shared by all ranks.
            Defaults to None.
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int,
                 source_ratio: Sequence[Union[int, float]],
                 shuffle: bool = True,
                 seed: Union[int, None] = None) -> None:
        if not (hasattr(dataset, 'datasets') and hasattr(dataset, 'cumulative_sizes')):
            raise TypeError('MultiSourceTaskSampler needs a ConcatDataset (with datasets and '
                            f'cumulative_sizes), got {type(dataset).__name__}')
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')
        num_sources = len(dataset.datasets)
        ratio = np.asarray(source_ratio, dtype=np.float64).reshape(-1)
        if len(ratio) != num_sources or not (ratio > 0).all():
            raise ValueError(f'source_ratio must hold one positive number per source dataset '
                             f'({num_sources}), got {list(source_ratio)}')
        sizes = [len(d) for d in dataset.datasets]
        if 0 in sizes:
            raise ValueError(f'source dataset {sizes.index(0)} is empty (sizes {sizes})')
        self.dataset = dataset
        self.batch_size = batch_size
        self.source_ratio = list(source_ratio)
        self.probs = ratio / ratio.sum()
        self.shuffle = shuffle
        self.offsets: List[int] = [0] + list(dataset.cumulative_sizes[:-1])
        self.sizes = sizes
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.rank)
        orders = [self._new_order(rng, size) for size in self.sizes]
        cursors = [0] * len(self.sizes)
        while True:
            source = int(rng.choice(len(self.sizes), p=self.probs))
            for _ in range(self.batch_size):
                if cursors[source] == self.sizes[source]:
                    orders[source] = self._new_order(rng, self.sizes[source])
                    cursors[source] = 0
                yield self.offsets[source] + int(orders[source][cursors[source]])
                cursors[source] += 1

    def _new_order(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.permutation(size) if self.shuffle else np.arange(size)

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is infinite (kept for mmengine's ``DistSamplerSeedHook``)."""
