# Copyright (c) mmvl contributors. All rights reserved.
"""ConceptParser on hand-written expressions and the toy world's refs; novelty levels."""
import os.path as osp
import pickle

import pytest

from mmvl.datasets.compositions import (ConceptParser, SeenCompositions, check_levels,
                                        composition_kind, novelty_level)
from mmvl.testing import REPO_ROOT

# (expression, expected compositions in order of mention), worked out by hand from the
# rules in the ConceptParser docstring.
CASES = [
    # toy world: two attributes on one noun, emitted from the head outwards
    ('the large green square', [('green', 'square'), ('large', 'square')]),
    # multi-word relations normalised to their canonical phrase
    ('crescent to the left of the square', [('crescent', 'left of', 'square')]),
    ('the cyan hexagon that is right of the crescent',
     [('cyan', 'hexagon'), ('hexagon', 'right of', 'crescent')]),
    ('green triangle below the large green triangle',
     [('green', 'triangle'), ('triangle', 'below', 'triangle'), ('green', 'triangle'),
      ('large', 'triangle')]),
    # RefCOCO-like
    ('man in red shirt on the left',
     [('man', 'in', 'shirt'), ('red', 'shirt'), ('left', 'man')]),
    ('Man in RED shirt, on the left!',
     [('man', 'in', 'shirt'), ('red', 'shirt'), ('left', 'man')]),
    ('second cup from right', [('second', 'cup'), ('right', 'cup')]),
    ('the 2nd glass from the left', [('2nd', 'glass'), ('left', 'glass')]),
    ('white car behind the bus', [('white', 'car'), ('car', 'behind', 'bus')]),
    ('zebra in front of the other zebra', [('zebra', 'in front of', 'zebra')]),
    ('small white dog next to the big brown dog',
     [('white', 'dog'), ('small', 'dog'), ('dog', 'next to', 'dog'), ('brown', 'dog'),
      ('big', 'dog')]),
    ('guy on the left with hat', [('left', 'guy'), ('guy', 'with', 'hat')]),
    ('woman in blue next to the man', [('blue', 'woman'), ('woman', 'next to', 'man')]),
    ('man in red shirt holding umbrella',
     [('man', 'in', 'shirt'), ('red', 'shirt'), ('man', 'holding', 'umbrella')]),
    ('woman sitting on couch', [('woman', 'sitting on', 'couch')]),
    ('man talking on phone', [('talking', 'man'), ('man', 'on', 'phone')]),
    ('far left person', [('left', 'person'), ('far', 'person')]),
    ('bottom left pizza', [('left', 'pizza'), ('bottom', 'pizza')]),
    ('tennis racket held by the girl', [('tennis', 'racket'), ('racket', 'held by', 'girl')]),
    ("man's hat", [('man', 'hat')]),
    ('top of the cake', [('top', 'cake')]),
    ('parked car on the far right', [('parked', 'car'), ('right', 'car'), ('far', 'car')]),
    # no noun: the attributes have nothing to bind to
    ('the red one', []),
    ('left', []),
    ('circle', []),
]


@pytest.mark.parametrize('expression,expected', CASES)
def test_parser_hand_written(expression, expected):
    assert ConceptParser().compositions(expression) == expected


def test_parse_structure_and_options():
    parsed = ConceptParser().parse('second cup from right next to the glass table')
    assert parsed.nouns == ('cup', 'table')
    assert parsed.attributes == (('second', 'ordinal', 'cup'), ('right', 'position', 'cup'),
                                 ('glass', 'material', 'table'))
    assert parsed.relations == (('cup', 'next to', 'table'), )
    expression = 'man in red shirt next to the woman'
    assert ('man', 'next to', 'woman') in ConceptParser().compositions(expression)
    previous = ConceptParser(relation_subject='previous')
    assert ('shirt', 'next to', 'woman') in previous.compositions(expression)
    assert ConceptParser().compositions('slice of pizza') == []
    with_of = ConceptParser(extra_relations={'of': 'of'})
    assert with_of.compositions('slice of pizza') == [('slice', 'of', 'pizza')]
    custom = ConceptParser(extra_attributes={'pattern': ['dotted']})
    assert custom.parse('dotted tie').attributes == (('dotted', 'pattern', 'tie'), )
    assert custom.attribute_kinds['dotted'] == 'pattern'
    assert ConceptParser(noun_modifiers=False).compositions('tennis racket') == []
    assert ConceptParser(suffix_rule=False).compositions('man talking') == [('man', 'talking')]
    only = ConceptParser(relations=['beside'])
    assert only.compositions('cat beside the dog left of the tree') == [
        ('cat', 'beside', 'dog'), ('left', 'dog')]


def test_parser_bad_input():
    with pytest.raises(ValueError, match="relation_subject must be 'first' or 'previous'"):
        ConceptParser(relation_subject='last')
    with pytest.raises(ValueError, match=r"both stopwords and attributes: \['the'\]"):
        ConceptParser(extra_attributes={'colour': ['the']})
    with pytest.raises(ValueError, match="'light blue' is not one word"):
        ConceptParser(extra_attributes={'colour': ['light blue']})
    with pytest.raises(TypeError, match='expression must be a str'):
        ConceptParser().parse(['red', 'car'])


def _toy_refs():
    """The toy world of the repository (data/toyworld), when it was generated."""
    path = osp.join(REPO_ROOT, 'data', 'toyworld', 'refcoco', 'refs(unc).p')
    if not osp.isfile(path):
        pytest.skip(f'{path} not generated (see data/toyworld/README.md)')
    with open(path, 'rb') as f:
        return pickle.load(f)


@pytest.mark.parametrize('source', ['fixture', 'data'])
def test_parser_reproduces_toy_world_compositions(source, toyworld):
    """Every toy-world sentence's stored compositions, in order (the parser's check)."""
    if source == 'data':
        refs = _toy_refs()
    else:
        with open(osp.join(toyworld, 'refcoco', 'refs(unc).p'), 'rb') as f:
            refs = pickle.load(f)
    parser = ConceptParser()
    sentences = [s for r in refs if r['split'] == 'train' for s in r['sentences']]
    assert len(sentences) > 100
    wrong = [(s['sent'], s['compositions']) for s in sentences
             if parser.compositions(s['sent']) != [tuple(c) for c in s['compositions']]]
    assert not wrong, f'{len(wrong)} of {len(sentences)} differ, e.g. {wrong[:3]}'


SEEN_PAIRS = [('red', 'square'), ('blue', 'circle'), ('left', 'circle')]
SEEN_TRIPLETS = [('square', 'left of', 'circle')]


@pytest.mark.parametrize('units,level', [
    ([], 0),
    ([('red', 'square')], 0),
    ([('red', 'square'), ('square', 'left of', 'circle')], 0),
    ([('blue', 'square')], 1),  # blue and square both seen, never together
    ([('red', 'circle'), ('red', 'square')], 1),
    ([('circle', 'left of', 'square')], 2),  # every word seen, the triplet is not
    ([('blue', 'square'), ('circle', 'left of', 'square')], 2),  # the highest level wins
    ([('green', 'square')], -1),  # a new concept is not compositional novelty
    ([('square', 'above', 'circle')], -1),
    ([('blue', 'square'), ('green', 'circle')], -1),
])
def test_novelty_level_default_rule(units, level):
    assert novelty_level(units, SEEN_PAIRS, SEEN_TRIPLETS) == level
    lists = [list(u) for u in units]
    assert SeenCompositions(SEEN_PAIRS, SEEN_TRIPLETS).novelty_level(lists) == level


def test_novelty_level_mappings():
    triplet = [('circle', 'left of', 'square')]
    assert novelty_level(triplet, SEEN_PAIRS, SEEN_TRIPLETS,
                         levels={'pair': 1, 'triplet': 1}) == 1
    assert novelty_level(triplet, SEEN_PAIRS, SEEN_TRIPLETS, levels={'pair': 1}) == -1
    assert novelty_level([('green', 'square')], SEEN_PAIRS, SEEN_TRIPLETS,
                         seen_concepts=['green', 'square']) == 1
    # K = 3 from attribute kinds: colour pairs 1, position pairs 2, triplets 3
    kinds = {'red': 'colour', 'blue': 'colour', 'left': 'position'}
    levels = {'pair:colour': 1, 'pair:position': 2, 'triplet': 3}
    for units, level in (([('blue', 'square')], 1), ([('left', 'square')], 2),
                         ([('left', 'square'), ('blue', 'square')], 2), (triplet, 3)):
        assert novelty_level(units, SEEN_PAIRS, SEEN_TRIPLETS, levels=levels,
                             attribute_kinds=kinds) == level
    assert composition_kind(('left', 'square'), kinds) == 'pair:position'
    assert composition_kind(('big', 'square'), kinds) == 'pair'
    assert composition_kind(('a', 'b', 'c')) == 'triplet'


def test_levels_and_units_bad_input():
    assert check_levels(None, 1) == {'pair': 1, 'triplet': 1}
    with pytest.raises(ValueError, match='must use every level 1..3'):
        check_levels({'pair': 1, 'triplet': 3})
    with pytest.raises(ValueError, match="kind 'quad' is not"):
        check_levels({'quad': 1})
    with pytest.raises(ValueError, match='3 levels need an explicit levels mapping'):
        check_levels(None, 3)
    with pytest.raises(ValueError, match='a unit must be'):
        novelty_level([('red', )], SEEN_PAIRS, SEEN_TRIPLETS)
    with pytest.raises(ValueError, match='seen_triplets'):
        SeenCompositions(SEEN_PAIRS, SEEN_PAIRS)
