# Copyright (c) mmvl contributors. All rights reserved.
"""VirtualSetSplitter and MetaCompositionalSampler: set contents, meta-batch layout, redraws."""
import itertools

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from mmvl.datasets import RefCOCODataset
from mmvl.datasets.compositions import novelty_level
from mmvl.datasets.samplers import MetaCompositionalSampler
from mmvl.datasets.samplers import meta_compositional_sampler as sampler_module
from mmvl.datasets.virtual_sets import VirtualSetSplitter
from mmvl.registry import DATA_SAMPLERS

COLOURS = ('red', 'green', 'blue', 'yellow')
SHAPES = ('circle', 'square', 'star', 'cross')
RELATIONS = ('left of', 'above')


def _compositions(num=300, seed=0):
    """Toy-world-like samples: one or two pairs, sometimes a triplet, sometimes nothing."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(num):
        shape = SHAPES[rng.integers(4)]
        units = [] if rng.random() < 0.1 else [(COLOURS[rng.integers(4)], shape)]
        if rng.random() < 0.5:
            other = SHAPES[rng.integers(4)]
            units += [(shape, RELATIONS[rng.integers(2)], other),
                      (COLOURS[rng.integers(4)], other)]
        samples.append(units)
    return samples


def _reference_levels(compositions, train, levels):
    """``novelty_level`` of every sample w.r.t. the compositions of ``train``."""
    units = [u for i in train for u in compositions[i]]
    pairs = [u for u in units if len(u) == 2]
    triplets = [u for u in units if len(u) == 3]
    return np.array([novelty_level(c, pairs, triplets, levels=levels) for c in compositions])


@pytest.mark.parametrize('num_test_sets', [1, 2])
def test_splitter_sets_follow_the_levels(num_test_sets):
    compositions = _compositions()
    splitter = VirtualSetSplitter(num_test_sets=num_test_sets, holdout_ratio=0.2, seed=0)
    table = splitter.encode(compositions)
    for _ in range(5):
        split = splitter.split(table)
        held = set(split.held_out)
        assert held and len(split.tests) == num_test_sets
        for i in split.train:
            assert not held & set(compositions[i])
        reference = _reference_levels(compositions, split.train, splitter.levels)
        np.testing.assert_array_equal(split.levels, np.where(
            np.isin(np.arange(len(compositions)), split.train), 0, reference))
        for k, test in enumerate(split.tests, 1):
            assert len(test) and (reference[test] == k).all()
            assert all(held & set(compositions[i]) for i in test)
        assert (reference[split.excluded] == -1).all()
        parts = np.concatenate([split.train, *split.tests, split.excluded])
        assert sorted(parts.tolist()) == list(range(len(compositions)))
    empty = [i for i, c in enumerate(compositions) if not c]
    assert empty and set(empty) <= set(split.train.tolist())


def test_splitter_hand_computed():
    """Four pairs (ratio 0.2 holds out one) and one triplet (held out, level 2 set empty)."""
    compositions = [
        [('red', 'square')],
        [('red', 'circle'), ('blue', 'square')],
        [('square', 'above', 'circle'), ('red', 'square')],  # 'above' is in no other sample
        [('blue', 'circle'), ('red', 'square')],
        [],
    ]
    # held-out pair -> (D_vtr, D_vte^1, excluded), worked out by hand
    expected = {
        ('red', 'square'): ([1, 4], [0, 3], [2]),
        ('red', 'circle'): ([0, 3, 4], [1], [2]),
        ('blue', 'square'): ([0, 3, 4], [1], [2]),
        ('blue', 'circle'): ([0, 1, 4], [3], [2]),
    }
    found = set()
    for seed in range(12):
        split = VirtualSetSplitter(holdout_ratio=0.2, seed=seed).split(compositions)
        pair = [u for u in split.held_out if len(u) == 2]
        assert len(split.held_out) == 2 and ('square', 'above', 'circle') in split.held_out
        train, test, excluded = expected[pair[0]]
        assert split.train.tolist() == train and split.excluded.tolist() == excluded
        assert [t.tolist() for t in split.tests] == [test, []]
        found.add(pair[0])
    assert len(found) > 1
    splitter = VirtualSetSplitter(holdout_ratio=0.2, seed=0)
    assert splitter.split(compositions).held_out == VirtualSetSplitter(
        holdout_ratio=0.2, seed=0).split(compositions).held_out


def test_splitter_bad_input():
    with pytest.raises(ValueError, match='num_test_sets must be a positive integer'):
        VirtualSetSplitter(num_test_sets=0)
    with pytest.raises(ValueError, match=r'holdout_ratio must be in \(0, 1\)'):
        VirtualSetSplitter(holdout_ratio=1.0)
    with pytest.raises(ValueError, match='3 levels need an explicit levels mapping'):
        VirtualSetSplitter(num_test_sets=3)
    with pytest.raises(ValueError, match='compositions of sample 1: a unit must be'):
        VirtualSetSplitter().split([[('red', 'car')], [('red', )]])


class _Dataset:
    """Compositions per sample through ``get_data_info``; items are their own index."""

    def __init__(self, compositions):
        self.compositions = compositions

    def __len__(self):
        return len(self.compositions)

    def get_data_info(self, i):
        return dict(compositions=self.compositions[i])

    def __getitem__(self, i):
        return i


def _steps(sampler, num):
    stream = iter(sampler)
    for _ in range(num):
        yield np.array(list(itertools.islice(stream, sampler.step_size)))


def test_sampler_layout_through_a_dataloader():
    """Each collated batch is one step: 1 + K chunks of levels 0, 1, ..., K (loop contract)."""
    sampler = DATA_SAMPLERS.build(
        dict(type='MetaCompositionalSampler', batch_size=3, num_test_sets=2),
        default_args=dict(dataset=_Dataset(_compositions()), seed=0))
    assert sampler.step_size == 9
    loader = DataLoader(sampler.dataset, batch_size=sampler.step_size, sampler=sampler)
    for step, batch in zip(range(20), loader):
        assert sampler.num_splits == step + 1  # redraw='iter', every step
        chunks = torch.chunk(batch, 3)
        for level, chunk in enumerate(chunks):
            assert len(chunk) == 3
            assert (sampler.split.levels[chunk.numpy()] == level).all()


def test_sampler_small_set_with_replacement_and_order():
    compositions = [[('red', 'square')], [('blue', 'circle')], [('red', 'circle')],
                    [('blue', 'square')]] * 5
    sampler = MetaCompositionalSampler(_Dataset(compositions), batch_size=4, num_test_sets=1,
                                       holdout_ratio=0.25, seed=1)
    for step in _steps(sampler, 10):
        split = sampler.split
        assert len(split.tests[0]) == 5 and len(split.train) == 15
        assert (split.levels[step[:4]] == 0).all() and (split.levels[step[4:]] == 1).all()
    # D_vte^1 holds the five copies of one pair: 4 draws from 5 samples, no replacement;
    # with batch_size 8 the set is smaller than a batch and is drawn with replacement
    big = MetaCompositionalSampler(_Dataset(compositions), batch_size=8, num_test_sets=1,
                                   holdout_ratio=0.25, seed=1)
    step = next(_steps(big, 1))
    assert len(set(step[8:].tolist())) <= 5 and (big.split.levels[step[8:]] == 1).all()
    ordered = MetaCompositionalSampler(_Dataset(compositions), batch_size=8, num_test_sets=1,
                                       holdout_ratio=0.25, shuffle=False, seed=1, redraw='epoch',
                                       redraw_interval=100)
    first, second = _steps(ordered, 2)
    test = ordered.split.tests[0]
    assert first[8:].tolist() == np.resize(test, 8).tolist() == second[8:].tolist()
    assert first[:8].tolist() == ordered.split.train[:8].tolist()


@pytest.mark.parametrize('interval', [1, 3])
def test_sampler_redraw_per_iteration(interval):
    sampler = MetaCompositionalSampler(_Dataset(_compositions()), batch_size=2,
                                       redraw_interval=interval, seed=0)
    draws = []
    for step in _steps(sampler, 12):
        draws.append(sampler.num_splits)
        assert (sampler.split.levels[step[:2]] == 0).all()
    assert draws == [s // interval + 1 for s in range(12)]


@pytest.mark.parametrize('interval', [1, 2])
def test_sampler_redraw_per_pass_over_train(interval):
    """redraw='epoch': a split lasts ``interval`` passes over D_vtr, each sample once a pass."""
    batch_size = 16
    sampler = MetaCompositionalSampler(_Dataset(_compositions(120)), batch_size=batch_size,
                                       redraw='epoch', redraw_interval=interval, seed=0)
    stream = _steps(sampler, 200)
    for _ in range(3):  # three splits
        first = next(stream)
        split, draws = sampler.split, sampler.num_splits
        steps_per_pass = len(split.train) // batch_size
        train_chunks = [first[:batch_size]]
        for _ in range(interval * steps_per_pass - 1):
            train_chunks.append(next(stream)[:batch_size])
            assert sampler.num_splits == draws
        for p in range(interval):
            seen = np.concatenate(train_chunks[p * steps_per_pass:(p + 1) * steps_per_pass])
            assert len(set(seen.tolist())) == len(seen)
            assert set(seen.tolist()) <= set(split.train.tolist())
    next(stream)
    assert sampler.num_splits == 4


def test_sampler_seeds_and_ranks(monkeypatch):
    dataset = _Dataset(_compositions())
    a = list(itertools.islice(MetaCompositionalSampler(dataset, 2, seed=5), 60))
    assert a == list(itertools.islice(MetaCompositionalSampler(dataset, 2, seed=5), 60))
    sampler = MetaCompositionalSampler(dataset, 2, seed=5)
    assert list(itertools.islice(sampler, 60)) == list(itertools.islice(sampler, 60))
    assert a != list(itertools.islice(MetaCompositionalSampler(dataset, 2, seed=6), 60))


def test_sampler_ranks_share_the_split_and_slice_one_global_batch(monkeypatch):
    """Two ranks with B = 2 together yield what one process with B = 4 yields: each virtual
    set's global batch, cut in rank order, so no rank's "novel" sample holds a composition
    that another rank's D_vtr batch trains on (the meta-gradient joins the ranks)."""
    dataset = _Dataset(_compositions())
    single = MetaCompositionalSampler(dataset, 4, seed=5)
    joined = list(itertools.islice(single, 12 * 20))
    per_rank = []
    for rank in range(2):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda r=rank: (r, 2))
        per_rank.append(list(itertools.islice(MetaCompositionalSampler(dataset, 2, seed=5),
                                              6 * 20)))
    table = single.table
    for step in range(20):
        one = joined[step * 12:(step + 1) * 12]
        ranks = [r[step * 6:(step + 1) * 6] for r in per_rank]
        for chunk in range(3):  # D_vtr, D_vte^1, D_vte^2
            assert ranks[0][chunk * 2:chunk * 2 + 2] + ranks[1][chunk * 2:chunk * 2 + 2] == \
                one[chunk * 4:(chunk + 1) * 4]
        # no composition of the union of the D_vtr batches is novel for a D_vte sample
        train_units = {u for i in ranks[0][:2] + ranks[1][:2]
                       for u in table.entry_unit[table.entry_sample == i]}
        for r in ranks:
            for i in r[2:]:
                units = set(table.entry_unit[table.entry_sample == i].tolist())
                held = {u for u in units if table.unit_level[u] > 0} - train_units
                assert held, f'test sample {i} has no composition outside the train batches'


def test_sampler_bad_input():
    pairs_only = _Dataset([[('red', 'square')], [('blue', 'circle')], [('red', 'circle')],
                           [('blue', 'square')]] * 3)
    with pytest.raises(RuntimeError, match=r'all K=2 virtual testing sets in 3 draws over 12 '
                       r'samples of _Dataset .*per level 1..K: \[4, 0\]'):
        MetaCompositionalSampler(pairs_only, 2, max_draws=3, seed=0)
    MetaCompositionalSampler(pairs_only, 2, num_test_sets=1, holdout_ratio=0.25, seed=0)
    no_field = _Dataset([[], []])
    no_field.get_data_info = lambda i: dict(texts=['a car'])
    with pytest.raises(KeyError, match="sample 0 of _Dataset has no 'compositions'"):
        MetaCompositionalSampler(no_field, 2, seed=0)
    with pytest.raises(TypeError, match='needs a dataset with get_data_info'):
        MetaCompositionalSampler([1, 2], 2, seed=0)
    with pytest.raises(ValueError, match="redraw must be 'iter' or 'epoch'"):
        MetaCompositionalSampler(pairs_only, 2, redraw='step')
    with pytest.raises(ValueError, match='batch_size must be a positive integer'):
        MetaCompositionalSampler(pairs_only, 0)


def test_sampler_on_refcoco_toy_world(toyworld):
    dataset = RefCOCODataset(data_root=toyworld, ann_file='refcoco/instances.json',
                             split_file='refcoco/refs(unc).p', split='train',
                             per_sentence=True)
    sampler = MetaCompositionalSampler(dataset, batch_size=2, seed=0, attribute_kinds=None)
    for step in _steps(sampler, 5):
        for level, chunk in enumerate(np.split(step, 3)):
            assert (sampler.split.levels[chunk] == level).all()
            held = set(sampler.split.held_out)
            for i in chunk:
                units = set(dataset.get_data_info(int(i))['compositions'])
                assert bool(units & held) == (level > 0)
