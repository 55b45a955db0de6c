# Copyright (c) mmvl contributors. All rights reserved.
"""MultiSourceTaskSampler: one source per batch, sources drawn by ratio, seeded streams."""
import itertools

import numpy as np
import pytest
from torch.utils.data import ConcatDataset, DataLoader

from mmvl.datasets.samplers import MultiSourceTaskSampler
from mmvl.datasets.samplers import multi_source_task_sampler as sampler_module
from mmvl.registry import DATA_SAMPLERS

SIZES = (10, 3, 7)


def _dataset(sizes=SIZES):
    """Item ``100 * source + position``, so a loaded batch shows its sources."""
    return ConcatDataset([[100 * s + i for i in range(n)] for s, n in enumerate(sizes)])


def _batches(sampler, batch_size, num):
    stream = iter(sampler)
    return [list(itertools.islice(stream, batch_size)) for _ in range(num)]


def _source(index, sizes=SIZES):
    return int(np.searchsorted(np.cumsum(sizes), index, side='right'))


def test_every_batch_from_one_source_and_ratio_followed():
    sampler = DATA_SAMPLERS.build(
        dict(type='MultiSourceTaskSampler', batch_size=4, source_ratio=[1, 2, 1], seed=0),
        default_args=dict(dataset=_dataset()))
    batches = _batches(sampler, 4, 4000)
    sources = []
    for batch in batches:
        batch_sources = {_source(i) for i in batch}
        assert len(batch_sources) == 1
        sources.append(batch_sources.pop())
    share = np.bincount(sources, minlength=3) / len(sources)
    np.testing.assert_allclose(share, [0.25, 0.5, 0.25], atol=0.03)


def test_each_source_is_visited_once_per_pass():
    sampler = MultiSourceTaskSampler(_dataset(), batch_size=5, source_ratio=[1, 1, 1], seed=3)
    per_source = {s: [] for s in range(3)}
    for batch in _batches(sampler, 5, 300):
        per_source[_source(batch[0])].extend(batch)
    offsets = [0, 10, 13]
    for s, indices in per_source.items():
        n = SIZES[s]
        passes = len(indices) // n
        assert passes >= 2
        for p in range(passes):  # every pass is a permutation of the source
            assert sorted(indices[p * n:(p + 1) * n]) == list(range(offsets[s], offsets[s] + n))
    ordered = MultiSourceTaskSampler(_dataset(), 3, [1, 0.5, 2], shuffle=False, seed=0)
    per_source = {s: [] for s in range(3)}
    for batch in _batches(ordered, 3, 100):
        per_source[_source(batch[0])].extend(batch)
    for s, indices in per_source.items():
        n = len(indices)
        assert indices == [offsets[s] + i % SIZES[s] for i in range(n)]

def test_seeded_and_rank_specific(monkeypatch):
    first = _batches(MultiSourceTaskSampler(_dataset(), 2, [1, 1, 1], seed=7), 2, 50)
    assert first == _batches(MultiSourceTaskSampler(_dataset(), 2, [1, 1, 1], seed=7), 2, 50)
    assert first != _batches(MultiSourceTaskSampler(_dataset(), 2, [1, 1, 1], seed=8), 2, 50)
    monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (1, 2))
    rank1 = MultiSourceTaskSampler(_dataset(), 2, [1, 1, 1], seed=7)
    assert rank1.rank == 1 and _batches(rank1, 2, 50) != first


def test_with_the_default_batch_sampler():
    dataset = _dataset()
    sampler = MultiSourceTaskSampler(dataset, batch_size=4, source_ratio=[1, 1, 1], seed=0)
    loader = DataLoader(dataset, batch_size=4, sampler=sampler)
    for batch in itertools.islice(loader, 30):
        assert len(batch) == 4 and len(set((batch // 100).tolist())) == 1

def test_bad_arguments():
    with pytest.raises(ValueError, match=r'one positive number per source dataset \(3\)'):
        MultiSourceTaskSampler(_dataset(), 2, [1, 1])
    with pytest.raises(ValueError, match='one positive number'):
        MultiSourceTaskSampler(_dataset(), 2, [1, 0, 1])
    with pytest.raises(ValueError, match='batch_size must be a positive integer'):
        MultiSourceTaskSampler(_dataset(), 0, [1, 1, 1])
    with pytest.raises(TypeError, match='needs a ConcatDataset'):
        MultiSourceTaskSampler(list(range(5)), 2, [1])
    with pytest.raises(ValueError, match='source dataset 1 is empty'):
        MultiSourceTaskSampler(_dataset((3, 0)), 2, [1, 1])
