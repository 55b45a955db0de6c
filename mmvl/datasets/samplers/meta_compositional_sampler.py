# Copyright (c) mmvl contributors. All rights reserved.
"""Infinite sampler of MCRES meta-batches: one virtual training batch, K virtual testing ones.

MCRES, "Meta Compositional Referring Expression Segmentation" (Xu et al., CVPR 2023,
https://arxiv.org/abs/2304.04415), trains on a batch of the virtual training set D_vtr,
evaluates the updated parameters on a batch of every virtual testing set D_vte^k (level-k
novel compositions w.r.t. D_vtr) and updates on the sum. This sampler draws the virtual
sets (``VirtualSetSplitter``) and lays out each step's indices for the train loop.
"""
import logging
from typing import Iterator, List, Mapping, Optional, Sized, Tuple, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from mmvl.registry import DATA_SAMPLERS
from ..compositions import ConceptParser
from ..virtual_sets import VirtualSetSplitter, VirtualSplit


@DATA_SAMPLERS.register_module()
class MetaCompositionalSampler(Sampler):
    """Yield MCRES meta-batches of (1 + K) * ``batch_size`` indices (Xu et al., CVPR 2023).

    Layout of one step, the contract of mmvl's ``MCRESTrainLoop``: a flat run of
    ``(1 + num_test_sets) * batch_size`` indices,

    - positions ``[0, B)``: D_vtr, the virtual training set;
    - positions ``[k * B, (k + 1) * B)`` for k = 1..K: D_vte^k, samples of novelty level k
      w.r.t. D_vtr's compositions,

    where B is ``batch_size``. Set the dataloader's ``batch_size`` to ``(1 + K) * B``
    (``self.step_size``) so that each collated batch is one step; the loop cuts it into
    1 + K equal chunks in this order::

        train_dataloader = dict(
            batch_size=6,  # (1 + 2) * 2
            sampler=dict(type='MetaCompositionalSampler', batch_size=2, num_test_sets=2),
            dataset=dict(type='RefCOCODataset', per_sentence=True, ...))

    Within a virtual set, indices are taken without replacement through a fresh
    permutation (plain order without ``shuffle``); a set smaller than B is sampled with
    replacement (cycled without ``shuffle``). The split is redrawn every
    ``redraw_interval`` steps (``redraw='iter'``) or every ``redraw_interval`` passes over
    D_vtr (``redraw='epoch'``; a pass ends when fewer than B unseen D_vtr samples remain,
    or after every step if D_vtr is smaller than B). A draw with an empty D_vtr or D_vte^k
    is redrawn, up to ``max_draws`` times, then a ``RuntimeError`` names K and the data.

    Compositions come from ``dataset.get_data_info(i)['compositions']`` (no pipeline is
    run). Build ``RefCOCODataset`` with ``per_sentence=True``: an entry per expression has
    exactly that expression's compositions. With ``per_sentence=False`` an entry holds the
    union over its expressions while ``SampleExpression`` shows one of them, so the
    expression read may lack the novelty its level promises (a warning says so).

    Distributed training: all ranks make the same draws from one seed (``seed=None`` takes
    a random seed shared by the ranks, mmengine's ``sync_random_seed``): the same split,
    and one global batch of ``world_size * B`` indices per virtual set, of which rank r
    yields the r-th slice of B. The meta-gradient is synchronised over the ranks, so
    theta' is trained on the union of the ranks' D_vtr batches; with a split per rank, a
    rank's "novel" sample could hold a composition that another rank trains on. The ranks
    together therefore see exactly what one process with batch ``world_size * B`` sees.
    ``num_splits`` and ``split`` expose the latest draw.

    Args:
        dataset (Sized): Has ``get_data_info(i)`` returning a dict with ``compositions``.
        batch_size (int): B, samples per virtual set in each step.
        num_test_sets (int): K, the number of virtual testing sets. Defaults to 2.
        holdout_ratio (float): Share of the compositions of each level held out from
            D_vtr in a draw (``VirtualSetSplitter``). Defaults to 0.2.
        redraw (str): ``'iter'`` or ``'epoch'``, the unit of ``redraw_interval``.
            Defaults to ``'iter'``.
        redraw_interval (int): Steps (or passes over D_vtr) between draws. Defaults to 1.
        shuffle (bool): Random order within the virtual sets. Defaults to True.
        seed (int, optional): Random seed, the same on every rank; None draws one shared
            by all ranks. Defaults to None.
        levels (Mapping[str, int], optional): Composition kind -> level, see
            ``mmvl.datasets.compositions.check_levels``. None is ``{'pair': 1,
            'triplet': 2}`` for K = 2 and ``{'pair': 1, 'triplet': 1}`` for K = 1.
            Defaults to None.
        attribute_kinds (Mapping[str, str] | str, optional): Attribute word -> kind for
            ``'pair:<kind>'`` levels; ``'default'`` takes ``ConceptParser``'s default
            vocabulary. Defaults to None.
        max_draws (int): Most draws tried for a split with no empty set. Defaults to 20.
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int,
                 num_test_sets: int = 2,
                 holdout_ratio: float = 0.2,
                 redraw: str = 'iter',
                 redraw_interval: int = 1,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 levels: Optional[Mapping[str, int]] = None,
                 attribute_kinds: Union[Mapping[str, str], str, None] = None,
                 max_draws: int = 20) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f'batch_size must be a positive integer, got {batch_size!r}')
        if redraw not in ('iter', 'epoch'):
            raise ValueError(f"redraw must be 'iter' or 'epoch', got {redraw!r}")
        for name, value in (('redraw_interval', redraw_interval), ('max_draws', max_draws)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f'{name} must be a positive integer, got {value!r}')
        if attribute_kinds == 'default':
            attribute_kinds = ConceptParser().attribute_kinds
        elif isinstance(attribute_kinds, str):
            raise ValueError(f"attribute_kinds must be a mapping, 'default' or None, got "
                             f'{attribute_kinds!r}')
        self.splitter = VirtualSetSplitter(
            num_test_sets=num_test_sets, holdout_ratio=holdout_ratio, levels=levels,
            attribute_kinds=attribute_kinds)
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_test_sets = num_test_sets
        self.step_size = (1 + num_test_sets) * batch_size
        self.redraw = redraw
        self.redraw_interval = redraw_interval
        self.shuffle = shuffle
        self.max_draws = max_draws
        self.table = self.splitter.encode(_dataset_compositions(dataset))
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.split: Optional[VirtualSplit] = None
        self.num_splits = 0
        # fail at build time, not in the first iteration, when the data cannot fill the sets
        self._draw(np.random.default_rng(self.seed))
        self.split, self.num_splits = None, 0

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed)  # the same stream on every rank
        global_batch = self.batch_size * self.world_size
        mine = slice(self.rank * self.batch_size, (self.rank + 1) * self.batch_size)
        self.split, self.num_splits = None, 0
        streams: List[_Stream] = []
        since_draw = 0
        while True:
            if not streams or since_draw >= self.redraw_interval:
                split = self._draw(rng)
                streams = [_Stream(s, self.shuffle, rng) for s in [split.train, *split.tests]]
                since_draw = 0
            for k, stream in enumerate(streams):
                indices, finished_pass = stream.take(global_batch)
                if k == 0 and self.redraw == 'epoch':
                    since_draw += finished_pass
                yield from (int(i) for i in indices[mine])
            if self.redraw == 'iter':
                since_draw += 1

    def _draw(self, rng: np.random.Generator) -> VirtualSplit:
        for _ in range(self.max_draws):
            split = self.splitter.split(self.table, rng)
            if len(split.train) and all(len(t) for t in split.tests):
                self.split = split
                self.num_splits += 1
                return split
        sizes = ', '.join(f'D_vte^{k + 1}: {len(t)}' for k, t in enumerate(split.tests))
        per_level = np.bincount(self.table.unit_level[self.table.unit_level > 0],
                                minlength=self.num_test_sets + 1)[1:].tolist()
        raise RuntimeError(
            f'MetaCompositionalSampler could not fill D_vtr and all K={self.num_test_sets} '
            f'virtual testing sets in {self.max_draws} draws over {len(self.table)} samples '
            f'of {type(self.dataset).__name__} (last draw D_vtr: {len(split.train)}, {sizes}; '
            f'distinct compositions per level 1..K: {per_level}, levels '
            f'{self.splitter.levels}). Use fewer test sets, another holdout_ratio or levels, '
            'or check the compositions of the data')

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is infinite (kept for mmengine's ``DistSamplerSeedHook``)."""


class _Stream:
    """Batches from one virtual set: without replacement, with it for a small set."""

    def __init__(self, indices: np.ndarray, shuffle: bool, rng: np.random.Generator) -> None:
        self.indices = indices
        self.shuffle = shuffle
        self.rng = rng
        self.order = self._new_order()
        self.cursor = 0

    def _new_order(self) -> np.ndarray:
        return self.rng.permutation(self.indices) if self.shuffle else self.indices

    def take(self, num: int) -> Tuple[np.ndarray, bool]:
        """``num`` indices and whether they complete a pass over the set."""
        if len(self.indices) < num:
            if self.shuffle:
                return self.rng.choice(self.indices, num, replace=True), True
            return np.resize(self.indices, num), True
        batch = self.order[self.cursor:self.cursor + num]
        self.cursor += num
        finished = self.cursor + num > len(self.indices)
        if finished:
            self.order, self.cursor = self._new_order(), 0
        return batch, finished


def _dataset_compositions(dataset: Sized) -> List[list]:
    """Every sample's ``compositions`` from ``get_data_info`` (no pipeline is run)."""
    if not hasattr(dataset, 'get_data_info'):
        raise TypeError('MetaCompositionalSampler needs a dataset with get_data_info(i), '
                        f'e.g. RefCOCODataset, got {type(dataset).__name__}')
    compositions, unions = [], 0
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if not isinstance(info, dict) or 'compositions' not in info:
            raise KeyError(f"sample {i} of {type(dataset).__name__} has no 'compositions': "
                           'build RefCOCODataset with compositions_from set (not None)')
        compositions.append(info['compositions'])
        unions += len(info.get('sentence_compositions') or ()) > 1
    if unions:
        print_log(f'MetaCompositionalSampler: {unions} of {len(dataset)} samples hold several '
                  'expressions; their compositions are the union, so the expression a '
                  'transform picks may not show the novelty of its virtual set. Use '
                  'per_sentence=True.', logger='current', level=logging.WARNING)
    return compositions
