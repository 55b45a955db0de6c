# Copyright (c) mmvl contributors. All rights reserved.
"""Virtual training and testing sets of MCRES, drawn from the compositions of the samples.

MCRES, "Meta Compositional Referring Expression Segmentation" (Xu et al., CVPR 2023,
https://arxiv.org/abs/2304.04415): from the training data, build one virtual training set
D_vtr and K virtual testing sets D_vte^k whose samples hold level-k novel compositions with
respect to D_vtr. How the paper draws them is not public; ``VirtualSetSplitter`` holds out a
random share of the compositions of each level (mmvl's choice, every field configurable).
"""
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from .compositions import (Unit, as_units, check_levels, composition_kind, level_of_kind)


class VirtualSplit(NamedTuple):
    """One draw of ``VirtualSetSplitter.split``.

    - ``train``: sample indices of D_vtr (none holds a held-out composition).
    - ``tests``: K arrays, ``tests[k - 1]`` the sample indices of D_vte^k.
    - ``excluded``: samples in no set (a held-out composition and a concept unseen in
      D_vtr, or unseen units of a kind without a level).
    - ``levels``: per sample, 0 (D_vtr), k (D_vte^k) or -1 (excluded).
    - ``held_out``: the held-out compositions.
    """
    train: np.ndarray
    tests: List[np.ndarray]
    excluded: np.ndarray
    levels: np.ndarray
    held_out: List[Unit]


class CompositionTable:
    """The compositions of every sample, encoded as integer arrays for repeated splits.

    Args:
        compositions (Sequence[Sequence[Sequence[str]]]): Per sample, its units
            ((attribute, noun) and (noun, relation, noun)); a sample may have none.
        levels (Mapping[str, int]): Kind -> level (``check_levels``).
        attribute_kinds (Mapping[str, str], optional): Attribute word -> kind, for
            ``'pair:<kind>'`` levels. Defaults to None.
    """

    def __init__(self,
                 compositions: Sequence[Sequence[Sequence[str]]],
                 levels: Mapping[str, int],
                 attribute_kinds: Optional[Mapping[str, str]] = None) -> None:
        if isinstance(compositions, (str, bytes)) or not isinstance(compositions, Sequence):
            raise TypeError('compositions must be a sequence with one list of units per '
                            f'sample, got {type(compositions).__name__}')
        unit_ids: Dict[Unit, int] = {}
        concept_ids: Dict[str, int] = {}
        entry_sample, entry_unit = [], []
        for i, sample in enumerate(compositions):
            for unit in as_units(sample, f'compositions of sample {i}'):
                entry_sample.append(i)
                entry_unit.append(unit_ids.setdefault(unit, len(unit_ids)))
        self.units: List[Unit] = list(unit_ids)
        self.num_samples = len(compositions)
        self.entry_sample = np.asarray(entry_sample, dtype=np.int64)
        self.entry_unit = np.asarray(entry_unit, dtype=np.int64)
        unit_level = [level_of_kind(composition_kind(u, attribute_kinds), levels)
                      for u in self.units]
        #: level of each unit's kind, -1 for kinds without a level
        self.unit_level = np.asarray([-1 if lv is None else lv for lv in unit_level],
                                     dtype=np.int64)
        concept_unit, concept_id = [], []
        for u, unit in enumerate(self.units):
            for word in unit:
                concept_unit.append(u)
                concept_id.append(concept_ids.setdefault(word, len(concept_ids)))
        self.num_concepts = len(concept_ids)
        self.concept_unit = np.asarray(concept_unit, dtype=np.int64)
        self.concept_id = np.asarray(concept_id, dtype=np.int64)

    def __len__(self) -> int:
        return self.num_samples


class VirtualSetSplitter:
    """Draw D_vtr and D_vte^1..K from the samples' compositions (MCRES, Xu et al., CVPR 2023).

    One draw:

    1. For each level k, hold out ``max(1, round(holdout_ratio * n_k))`` of the n_k
       distinct compositions whose kind has level k, chosen uniformly at random.
    2. D_vtr = the samples with none of the held-out compositions.
    3. Every other sample gets its ``novelty_level`` w.r.t. the compositions and concepts
       of D_vtr; D_vte^k = the samples of level k. Samples of level -1 (a concept absent
       from D_vtr) are excluded. A non-D_vtr sample holds an unseen (held-out) unit, so
       its level is never 0.

    Samples without compositions are always in D_vtr. The result equals calling
    ``novelty_level`` per sample (tested); the arrays make a draw over RefCOCO's 120k
    sentences take milliseconds, so it can be redrawn every iteration.

    Args:
        num_test_sets (int): K, the number of virtual testing sets. Defaults to 2.
        holdout_ratio (float): Share of the distinct compositions of each level held out,
            in (0, 1). Defaults to 0.2.
        levels (Mapping[str, int], optional): Kind -> level, using every level 1..K (see
            ``check_levels``). None: ``{'pair': 1, 'triplet': 2}`` for K = 2,
            ``{'pair': 1, 'triplet': 1}`` for K = 1. Defaults to None.
        attribute_kinds (Mapping[str, str], optional): Attribute word -> kind, for
            ``'pair:<kind>'`` levels (e.g. ``ConceptParser().attribute_kinds``).
            Defaults to None.
        seed (int, optional): Seed of the generator used when ``split`` gets none.
            Defaults to None.
    """

    def __init__(self,
                 num_test_sets: int = 2,
                 holdout_ratio: float = 0.2,
                 levels: Optional[Mapping[str, int]] = None,
                 attribute_kinds: Optional[Mapping[str, str]] = None,
                 seed: Optional[int] = None) -> None:
        if isinstance(num_test_sets, bool) or not isinstance(num_test_sets, int) \
                or num_test_sets < 1:
            raise ValueError(f'num_test_sets must be a positive integer, got {num_test_sets!r}')
        if not 0.0 < holdout_ratio < 1.0:
            raise ValueError(f'holdout_ratio must be in (0, 1), got {holdout_ratio!r}')
        self.num_test_sets = num_test_sets
        self.holdout_ratio = float(holdout_ratio)
        self.levels = check_levels(levels, num_test_sets)
        self.attribute_kinds = None if attribute_kinds is None else dict(attribute_kinds)
        self.rng = np.random.default_rng(seed)

    def encode(self, compositions: Sequence[Sequence[Sequence[str]]]) -> CompositionTable:
        """Encode the samples' compositions once for repeated ``split`` calls."""
        return CompositionTable(compositions, self.levels, self.attribute_kinds)

    def split(self,
              compositions: Union[CompositionTable, Sequence[Sequence[Sequence[str]]]],
              rng: Optional[np.random.Generator] = None) -> VirtualSplit:
        """Draw one virtual training set and K virtual testing sets.

        Args:
            compositions (CompositionTable | Sequence): ``encode``'s table, or per sample
                its list of units.
            rng (np.random.Generator, optional): Source of randomness; None uses the
                splitter's own generator (seeded by ``seed``). Defaults to None.

        Returns:
            VirtualSplit: Indices of D_vtr, of each D_vte^k and of the excluded samples.
        """
        table = compositions if isinstance(compositions, CompositionTable) else \
            self.encode(compositions)
        rng = self.rng if rng is None else rng
        num_units = len(table.units)
        held = np.zeros(num_units, dtype=bool)
        for k in range(1, self.num_test_sets + 1):
            candidates = np.flatnonzero(table.unit_level == k)
            if len(candidates):
                num = max(1, int(round(self.holdout_ratio * len(candidates))))
                held[rng.choice(candidates, min(num, len(candidates)), replace=False)] = True
        n = table.num_samples
        es, eu = table.entry_sample, table.entry_unit
        in_train = np.bincount(es, weights=held[eu], minlength=n) == 0
        seen_unit = np.bincount(eu[in_train[es]], minlength=num_units) > 0
        seen_concept = np.zeros(table.num_concepts, dtype=bool)
        seen_concept[table.concept_id[seen_unit[table.concept_unit]]] = True
        unit_concepts_ok = np.bincount(
            table.concept_unit, weights=~seen_concept[table.concept_id],
            minlength=num_units) == 0
        unseen = ~seen_unit[eu]
        bad = ~unit_concepts_ok[eu] | (unseen & (table.unit_level[eu] < 1))
        entry_level = np.where(unseen, table.unit_level[eu], 0)
        levels = np.zeros(n, dtype=np.int64)
        np.maximum.at(levels, es, entry_level)
        levels[np.bincount(es, weights=bad, minlength=n) > 0] = -1
        levels[in_train] = 0
        return VirtualSplit(
            train=np.flatnonzero(in_train),
            tests=[np.flatnonzero(levels == k) for k in range(1, self.num_test_sets + 1)],
            excluded=np.flatnonzero(levels == -1),
            levels=levels,
            held_out=[table.units[u] for u in np.flatnonzero(held)])

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_test_sets={self.num_test_sets}, '
                f'holdout_ratio={self.holdout_ratio}, levels={self.levels})')
