# Copyright (c) mmvl contributors. All rights reserved.
"""Concepts and compositions of referring expressions, and their novelty levels.

MCRES, "Meta Compositional Referring Expression Segmentation" (Xu et al., CVPR 2023,
https://arxiv.org/abs/2304.04415), reads an expression as concepts (objects, attributes,
relations) and their compositions, and builds virtual testing sets whose expressions hold
level-k novel compositions with respect to a virtual training set. The paper's parser and
level definition are not public; this module is mmvl's offline, rule-based stand-in:

- ``ConceptParser`` splits an expression into noun phrases and relation phrases with
  configurable word lists (no model, no download) and returns (attribute, noun) pairs and
  (noun, relation, noun) triplets, the unit format of the toy world's ``compositions``.
- ``novelty_level`` grades a sample's compositions against seen ones (see its docstring
  for the rule and why).
"""
import re
from typing import (Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set,
                    Tuple, Union)

#: A composition unit: (attribute, noun) or (noun, relation, noun).
Unit = Tuple[str, ...]

#: Attribute words by kind. Covers the toy world and frequent RefCOCO(+/g) modifiers.
DEFAULT_ATTRIBUTES: Dict[str, Tuple[str, ...]] = {
    'colour': ('red', 'green', 'blue', 'yellow', 'purple', 'orange', 'cyan', 'white', 'black',
               'brown', 'pink', 'gray', 'grey', 'tan', 'beige', 'silver', 'gold', 'golden',
               'blonde', 'blond', 'maroon', 'navy', 'teal', 'violet', 'dark', 'light',
               'bright', 'pale', 'colorful', 'colourful'),
    'size': ('small', 'medium', 'large', 'big', 'little', 'tiny', 'huge', 'giant', 'tall',
             'short', 'long', 'wide', 'narrow', 'thin', 'thick', 'fat', 'skinny', 'bigger',
             'biggest', 'smaller', 'smallest', 'larger', 'largest', 'taller', 'tallest',
             'shorter', 'shortest', 'longer', 'longest'),
    'material': ('wooden', 'wood', 'metal', 'metallic', 'glass', 'plastic', 'leather',
                 'paper', 'stone', 'brick', 'ceramic'),
    'position': ('left', 'right', 'top', 'bottom', 'middle', 'center', 'centre', 'front',
                 'back', 'upper', 'lower', 'far', 'closest', 'nearest', 'farthest',
                 'furthest', 'leftmost', 'rightmost', 'topmost', 'side', 'corner', 'edge',
                 'end', 'background', 'foreground'),
    'ordinal': ('first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth',
                'ninth', 'tenth', 'last', '1st', '2nd', '3rd', '4th', '5th'),
    'state': ('standing', 'sitting', 'walking', 'running', 'smiling', 'empty', 'full', 'open',
              'closed', 'half', 'whole', 'striped', 'plaid', 'old', 'young', 'bald', 'dirty',
              'clean', 'partial', 'blurry', 'cut'),
}

#: Relation phrases (key) and the canonical relation they name (value); the longest phrase
#: matching at a position wins, so "to the left of" beats "to" and "left".
DEFAULT_RELATIONS: Dict[str, str] = {
    **{f'{p}{side} of': f'{side} of' for side in ('left', 'right')
       for p in ('', 'to the ', 'on the ', 'to ', 'on ', 'at the ')},
    'in front of': 'in front of', 'on top of': 'on top of', 'next to': 'next to',
    'close to': 'close to', 'closest to': 'closest to', 'nearest to': 'closest to',
    'closer to': 'close to', 'near': 'near', 'beside': 'beside', 'behind': 'behind',
    'above': 'above', 'below': 'below', 'under': 'under', 'underneath': 'under',
    'beneath': 'under', 'over': 'over', 'on': 'on', 'in': 'in', 'inside': 'in', 'at': 'at',
    'by': 'by', 'with': 'with', 'without': 'without', 'against': 'against',
    'across from': 'across from', 'between': 'between', 'in between': 'between',
    'holding': 'holding', 'wearing': 'wearing', 'carrying': 'carrying', 'riding': 'riding',
    'eating': 'eating', 'sitting on': 'sitting on', 'sitting in': 'sitting in',
    'standing on': 'standing on', 'standing in': 'standing in', 'leaning on': 'leaning on',
    'looking at': 'looking at', 'facing': 'facing', 'touching': 'touching', 'using': 'using',
    'hitting': 'hitting', 'throwing': 'throwing', 'watching': 'watching', 'held by': 'held by',
    'has': 'with',
    'having': 'with',
}

#: Words that are neither concepts nor relations; each ends the current noun phrase.
DEFAULT_STOPWORDS: Tuple[str, ...] = (
    'a', 'an', 'the', 'this', 'that', 'these', 'those', 'some', 'any', 'each', 'every', 'all',
    'both', 'another', 'other', 'it', 'its', 'he', 'his', 'she', 'her', 'hers', 'they',
    'their', 'them', 'him', 'you', 'your', 'i', 'my', 'me', 'we', 'our', 'one', 'ones', 'is',
    'are', 'was', 'were', 'be', 'been', 'being', 'am', 'and', 'or', 'but', 'nor', 'so', 'of',
    'to', 'from', 'for', 'as', 'than', 'like', 'about', 'who', 'which', 'whose', 'where',
    'what', 'when', 'whom', 'very', 'most', 'more', 'less', 'only', 'just', 'also', 'partially',
    'barely', 'mostly', 'almost', 'fully', 'slightly', 'really', 'there', 'here', 'not', 'no',
    'can', 'see', 'seen', 'visible', 'shown', 'pic', 'picture', 'photo', 'image', 'frame',
    'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'next', 'up',
    'down', 'off', 'out', 'way', 'kind', 'sort', 'looks', 'look', 'looking')

#: Words ending in "ing" or "ed" that stay nouns (the suffix rule makes other such unknown
#: words state attributes).
DEFAULT_SUFFIX_NOUNS: Tuple[str, ...] = (
    'building', 'ceiling', 'clothing', 'painting', 'railing', 'ring', 'thing', 'king', 'wing',
    'string', 'icing', 'frosting', 'topping', 'filling', 'stuffing', 'pudding', 'awning',
    'earring', 'bedding', 'wedding', 'dumpling', 'sibling', 'lighting', 'seating', 'bed',
    'shed', 'sled', 'seed', 'weed', 'reed', 'steed', 'speed', 'hundred', 'sunbed', 'flatbed',
    'daybed', 'seabed')

_TOKEN_RE = re.compile(r'[a-z0-9]+(?:-[a-z0-9]+)*')
_POSSESSIVE_RE = re.compile(r"(\w)'s\b")


class ParsedExpression(NamedTuple):
    """The concept units of one expression (``ConceptParser.parse``).

    - ``nouns``: head nouns in the order of their noun phrases; the first is the subject.
    - ``attributes``: (attribute, kind, noun) per modifier; ``kind`` is an attribute kind
      (e.g. ``'colour'``) or ``'noun'`` for a noun modifying the head ("tennis racket").
    - ``relations``: (subject noun, canonical relation, object noun) per relation phrase.
    - ``compositions``: the units in order of mention, (attribute, noun) pairs and
      (noun, relation, noun) triplets, one per mention (not de-duplicated).
    """
    nouns: Tuple[str, ...]
    attributes: Tuple[Tuple[str, str, str], ...]
    relations: Tuple[Tuple[str, str, str], ...]
    compositions: List[Unit]


class ConceptParser:
    """Rule-based concept parser of referring expressions (mmvl's stand-in for MCRES).

    MCRES (Xu et al., CVPR 2023) splits an expression into concepts and compositions; its
    parser is not public. This one uses word lists only (no tagger, no download):

    1. Tokens: lower-cased words ``[a-z0-9]+`` (hyphenated words kept whole), possessive
       "'s" dropped ("man's hat" -> "man hat").
    2. Relations: at each position the longest phrase of ``relations`` is matched first
       ("on the left of" -> ``'left of'``, "in front of", "next to"); it ends the current
       noun phrase.
    3. Stopwords end the current noun phrase and are dropped. Any other word joins it:
       an attribute if it is in ``attributes`` (or, with ``suffix_rule``, an unknown word
       ending in "ing" / "ed" that is not in ``suffix_nouns``: "talking", "parked"),
       otherwise a noun.
    4. A noun phrase's head is its last noun (or, in a phrase without nouns, its last word
       when that word's kind is in ``head_kinds``: "the 2nd glass", "a glass table" ->
       head "table"); its attributes, and the nouns before the head (noun modifiers, with
       ``noun_modifiers``), bind to the head. Pairs are emitted from the head outwards
       ("large green square" -> (green, square), (large, square)).
    5. A phrase without a noun ("on the left", "from right", "in red") binds its attributes
       to the subject, the head of the first phrase that has one: in referring
       expressions such location phrases describe the referent.
    6. A relation takes the next headed phrase before the next relation as its object
       (a relation with none is dropped; "man on the left with hat" keeps only
       (man, with, hat)). Its subject is the expression's subject (``relation_subject=
       'first'``, "man in red shirt next to the woman" -> (man, next to, woman)) or the
       head of the latest phrase (``'previous'``). The triplet is emitted before the
       object phrase's pairs.

    Known limits: no lemmatisation ("men" and "man" are two concepts); unknown verbs
    without the suffix are nouns; "of" is not a relation by default ("slice of pizza"
    gives two unrelated nouns); conjunctions are not distributed.

    Args:
        attributes (Mapping[str, Sequence[str]], optional): Attribute words by kind.
            None uses ``DEFAULT_ATTRIBUTES``. Defaults to None.
        relations (Mapping[str, str] | Sequence[str], optional): Relation phrases, a
            mapping phrase -> canonical relation or a sequence of phrases naming
            themselves. None uses ``DEFAULT_RELATIONS``. Defaults to None.
        stopwords (Sequence[str], optional): None uses ``DEFAULT_STOPWORDS``.
            Defaults to None.
        extra_attributes (Mapping[str, Sequence[str]], optional): Words added to the
            attribute kinds (new kinds allowed). Defaults to None.
        extra_relations (Mapping[str, str], optional): Phrases added to the relations.
            Defaults to None.
        extra_stopwords (Sequence[str], optional): Words added to the stopwords.
            Defaults to None.
        relation_subject (str): ``'first'`` or ``'previous'``, see rule 6.
            Defaults to ``'first'``.
        noun_modifiers (bool): Emit (modifier noun, head) pairs. Defaults to True.
        suffix_rule (bool): Unknown words ending in "ing" / "ed" are state attributes.
            Defaults to True.
        suffix_nouns (Sequence[str], optional): Exceptions to ``suffix_rule``. None uses
            ``DEFAULT_SUFFIX_NOUNS``. Defaults to None.
        head_kinds (Sequence[str]): Attribute kinds whose word heads a phrase that has no
            noun and ends in it (rule 4). Defaults to ``('material', )``.

    Examples:
        >>> parser = ConceptParser()
        >>> parser.compositions('the white car behind the bus')
        [('white', 'car'), ('car', 'behind', 'bus')]
        >>> parser.compositions('man in red shirt on the left')
        [('man', 'in', 'shirt'), ('red', 'shirt'), ('left', 'man')]
    """

    def __init__(self,
                 attributes: Optional[Mapping[str, Sequence[str]]] = None,
                 relations: Union[Mapping[str, str], Sequence[str], None] = None,
                 stopwords: Optional[Sequence[str]] = None,
                 extra_attributes: Optional[Mapping[str, Sequence[str]]] = None,
                 extra_relations: Optional[Mapping[str, str]] = None,
                 extra_stopwords: Optional[Sequence[str]] = None,
                 relation_subject: str = 'first',
                 noun_modifiers: bool = True,
                 suffix_rule: bool = True,
                 suffix_nouns: Optional[Sequence[str]] = None,
                 head_kinds: Sequence[str] = ('material', )) -> None:
        if relation_subject not in ('first', 'previous'):
            raise ValueError(f"relation_subject must be 'first' or 'previous', got "
                             f'{relation_subject!r}')
        kinds: Dict[str, str] = {}
        for source in (DEFAULT_ATTRIBUTES if attributes is None else attributes,
                       extra_attributes or {}):
            for kind, words in _as_mapping(source, 'attributes').items():
                for word in _word_list(words, f'attributes[{kind!r}]'):
                    if len(_tokens(word)) != 1 or _tokens(word)[0] != word:
                        raise ValueError(f'attributes[{kind!r}]: {word!r} is not one word')
                    kinds[word] = kind
        if relations is None:
            relations = DEFAULT_RELATIONS
        elif not isinstance(relations, Mapping):
            relations = {p: p for p in _word_list(relations, 'relations')}
        phrases: Dict[Tuple[str, ...], str] = {}
        for source in (relations, extra_relations or {}):
            for phrase, canonical in _as_mapping(source, 'relations').items():
                words = tuple(_tokens(phrase))
                if not words or not isinstance(canonical, str) or not canonical.strip():
                    raise ValueError(f'relation phrase {phrase!r} -> {canonical!r} needs words '
                                     'and a non-empty canonical name')
                phrases[words] = canonical.strip()
        stops = set(_word_list(DEFAULT_STOPWORDS if stopwords is None else stopwords,
                               'stopwords')) | set(_word_list(extra_stopwords or (),
                                                              'extra_stopwords'))
        clash = sorted(stops & set(kinds))
        if clash:
            raise ValueError(f'words both stopwords and attributes: {clash}')
        self._kinds = kinds
        self._phrases = phrases
        self._max_phrase = max((len(p) for p in phrases), default=0)
        self._stopwords = frozenset(stops)
        self.relation_subject = relation_subject
        self.noun_modifiers = noun_modifiers
        self.suffix_rule = suffix_rule
        self.head_kinds = tuple(_word_list(head_kinds, 'head_kinds'))
        self._suffix_nouns = frozenset(
            DEFAULT_SUFFIX_NOUNS if suffix_nouns is None else _word_list(
                suffix_nouns, 'suffix_nouns'))

    @property
    def attribute_kinds(self) -> Dict[str, str]:
        """Attribute word -> kind (a copy), e.g. for ``novelty_level(attribute_kinds=...)``."""
        return dict(self._kinds)

    def parse(self, expression: str) -> ParsedExpression:
        """Split ``expression`` into concept units; see the class docstring for the rules.

        Args:
            expression (str): A referring expression.

        Returns:
            ParsedExpression: Head nouns, attributes, relations and compositions.
        """
        if not isinstance(expression, str):
            raise TypeError(f'expression must be a str, got {type(expression).__name__}')
        nouns: List[str] = []
        attributes: List[Tuple[str, str, str]] = []
        relations: List[Tuple[str, str, str]] = []
        units: List[Unit] = []
        headless: List[Tuple[str, str]] = []  # attributes waiting for the subject
        pending: Optional[Tuple[str, str]] = None  # (subject, relation) waiting for an object

        def bind(word: str, kind: str, noun: str) -> None:
            attributes.append((word, kind, noun))
            units.append((word, noun))

        def close(phrase: List[Tuple[str, str]]) -> None:
            nonlocal pending
            heads = [i for i, (_, kind) in enumerate(phrase) if kind == 'noun']
            if not heads and phrase and phrase[-1][1] in self.head_kinds:
                phrase[-1] = (phrase[-1][0], 'noun')  # "the 2nd glass": the material is the head
                heads = [len(phrase) - 1]
            if not heads:
                headless.extend(phrase)
                if nouns:
                    _flush_headless()
                return
            head = phrase[heads[-1]][0]
            if pending is not None:
                relations.append((pending[0], pending[1], head))
                units.append((pending[0], pending[1], head))
                pending = None
            nouns.append(head)
            for word, kind in reversed(phrase[:heads[-1]] + phrase[heads[-1] + 1:]):
                if kind != 'noun' or self.noun_modifiers:
                    bind(word, kind, head)
            if len(nouns) == 1:
                _flush_headless()

        def _flush_headless() -> None:
            for word, kind in reversed(headless):
                bind(word, kind, nouns[0])
            headless.clear()

        phrase: List[Tuple[str, str]] = []
        tokens = _tokens(expression)
        i = 0
        while i < len(tokens):
            matched = self._match_relation(tokens, i)
            if matched is not None:
                length, relation = matched
                close(phrase)
                phrase = []
                subject = nouns[0] if self.relation_subject == 'first' and nouns else (
                    nouns[-1] if nouns else None)
                pending = None if subject is None else (subject, relation)
                i += length
                continue
            word = tokens[i]
            i += 1
            if word in self._stopwords:
                close(phrase)
                phrase = []
            else:
                phrase.append((word, self._word_kind(word)))
        close(phrase)
        return ParsedExpression(tuple(nouns), tuple(attributes), tuple(relations), units)

    def compositions(self, expression: str) -> List[Unit]:
        """(attribute, noun) pairs and (noun, relation, noun) triplets of ``expression``.

        Args:
            expression (str): A referring expression.

        Returns:
            list[tuple[str, ...]]: The units in order of mention (see ``parse``).
        """
        return self.parse(expression).compositions

    __call__ = compositions

    def _match_relation(self, tokens: List[str], i: int) -> Optional[Tuple[int, str]]:
        for length in range(min(self._max_phrase, len(tokens) - i), 0, -1):
            relation = self._phrases.get(tuple(tokens[i:i + length]))
            if relation is not None:
                return length, relation
        return None

    def _word_kind(self, word: str) -> str:
        kind = self._kinds.get(word)
        if kind is not None:
            return kind
        if (self.suffix_rule and len(word) >= 5 and word not in self._suffix_nouns
                and (word.endswith('ing') or word.endswith('ed'))):
            return 'state'
        return 'noun'

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_attributes={len(self._kinds)}, '
                f'num_relation_phrases={len(self._phrases)}, '
                f'relation_subject={self.relation_subject!r})')


def build_parser(parser: Union[dict, ConceptParser, None]) -> ConceptParser:
    """A ``ConceptParser`` from its keyword arguments (dict), itself, or None (defaults)."""
    if isinstance(parser, ConceptParser):
        return parser
    if parser is None:
        return ConceptParser()
    if not isinstance(parser, dict):
        raise TypeError(f'parser must be a dict of ConceptParser arguments, a ConceptParser '
                        f'or None, got {type(parser).__name__}')
    return ConceptParser(**parser)


def as_units(compositions: Iterable, where: str = 'compositions') -> List[Unit]:
    """Check and convert compositions (lists or tuples of str) to tuples.

    Args:
        compositions (Iterable): (attribute, noun) and (noun, relation, noun) units.
        where (str): Named in the error. Defaults to ``'compositions'``.

    Returns:
        list[tuple[str, ...]]: The units as tuples, in the same order.
    """
    if isinstance(compositions, (str, bytes)) or not isinstance(compositions, Iterable):
        raise TypeError(f'{where} must be a list of units, got {compositions!r}')
    units = []
    for unit in compositions:
        if (isinstance(unit, (str, bytes)) or not isinstance(unit, (list, tuple))
                or len(unit) not in (2, 3) or not all(isinstance(w, str) for w in unit)):
            raise ValueError(f'{where}: a unit must be (attribute, noun) or (noun, relation, '
                             f'noun) strings, got {unit!r}')
        units.append(tuple(unit))
    return units


def composition_kind(unit: Sequence[str],
                     attribute_kinds: Optional[Mapping[str, str]] = None) -> str:
    """The kind of a unit: ``'triplet'``, ``'pair'``, or ``'pair:<attribute kind>'``.

    Args:
        unit (Sequence[str]): (attribute, noun) or (noun, relation, noun).
        attribute_kinds (Mapping[str, str], optional): Attribute word -> kind (e.g.
            ``ConceptParser().attribute_kinds``); a pair whose attribute is listed is
            ``'pair:<kind>'``. Defaults to None.

    Returns:
        str: The kind.
    """
    if len(unit) == 3:
        return 'triplet'
    if len(unit) != 2:
        raise ValueError(f'a unit has 2 or 3 words, got {unit!r}')
    if attribute_kinds and unit[0] in attribute_kinds:
        return f'pair:{attribute_kinds[unit[0]]}'
    return 'pair'


def concepts_of(units: Iterable[Sequence[str]]) -> Set[str]:
    """Every word of the units: attributes, nouns and relations."""
    return {word for unit in units for word in unit}


#: mmvl's default levels: an unseen pair is level 1, an unseen triplet level 2 (K = 2).
DEFAULT_LEVELS: Dict[str, int] = {'pair': 1, 'triplet': 2}


def check_levels(levels: Optional[Mapping[str, int]], num_levels: Optional[int] = None
                 ) -> Dict[str, int]:
    """Validate a kind -> level mapping; every level 1..K must be used.

    Args:
        levels (Mapping[str, int], optional): ``'pair'``, ``'triplet'`` or
            ``'pair:<attribute kind>'`` -> level >= 1. None: ``DEFAULT_LEVELS`` when
            ``num_levels`` is None or 2, ``{'pair': 1, 'triplet': 1}`` when it is 1.
        num_levels (int, optional): K, the number of levels expected. Defaults to None.

    Returns:
        dict: The mapping.
    """
    if levels is None:
        if num_levels in (None, 2):
            return dict(DEFAULT_LEVELS)
        if num_levels == 1:
            return {'pair': 1, 'triplet': 1}
        raise ValueError(f'{num_levels} levels need an explicit levels mapping, e.g. '
                         "{'pair:colour': 1, 'pair': 2, 'triplet': 3}")
    if not isinstance(levels, Mapping) or not levels:
        raise TypeError(f'levels must be a non-empty mapping kind -> level, got {levels!r}')
    for kind, level in levels.items():
        if not isinstance(kind, str) or not (kind in ('pair', 'triplet')
                                             or kind.startswith('pair:')):
            raise ValueError(f"levels: kind {kind!r} is not 'pair', 'triplet' or "
                             "'pair:<attribute kind>'")
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f'levels: level of {kind!r} must be an integer >= 1, got {level!r}')
    used = set(levels.values())
    k = max(used) if num_levels is None else num_levels
    if used != set(range(1, k + 1)):
        raise ValueError(f'levels {dict(levels)} must use every level 1..{k} and no other, '
                         f'got levels {sorted(used)}')
    return dict(levels)


def level_of_kind(kind: str, levels: Mapping[str, int]) -> Optional[int]:
    """The level of a kind: its own entry, else the entry of its base kind, else None."""
    if kind in levels:
        return levels[kind]
    return levels.get(kind.split(':')[0])


class SeenCompositions:
    """Seen compositions and concepts, to grade many samples with ``novelty_level``.

    Args:
        seen_pairs (Iterable[Sequence[str]]): Seen (attribute, noun) pairs.
        seen_triplets (Iterable[Sequence[str]]): Seen (noun, relation, noun) triplets.
        seen_concepts (Iterable[str], optional): Seen words; None takes the words of the
            seen pairs and triplets. Defaults to None.
        levels (Mapping[str, int], optional): Kind -> level (see ``check_levels``).
            None uses ``DEFAULT_LEVELS``. Defaults to None.
        attribute_kinds (Mapping[str, str], optional): Attribute word -> kind, for
            ``'pair:<kind>'`` levels. Defaults to None.
    """

    def __init__(self,
                 seen_pairs: Iterable[Sequence[str]],
                 seen_triplets: Iterable[Sequence[str]],
                 seen_concepts: Optional[Iterable[str]] = None,
                 levels: Optional[Mapping[str, int]] = None,
                 attribute_kinds: Optional[Mapping[str, str]] = None) -> None:
        self.levels = check_levels(levels)
        pairs = as_units(seen_pairs, 'seen_pairs')
        triplets = as_units(seen_triplets, 'seen_triplets')
        if any(len(u) != 2 for u in pairs) or any(len(u) != 3 for u in triplets):
            raise ValueError('seen_pairs must hold (attribute, noun) pairs and seen_triplets '
                             '(noun, relation, noun) triplets')
        self.units = frozenset(pairs) | frozenset(triplets)
        self.concepts = frozenset(
            concepts_of(self.units) if seen_concepts is None else seen_concepts)
        self.attribute_kinds = attribute_kinds

    def novelty_level(self, sample_compositions: Iterable[Sequence[str]]) -> int:
        """The level of a sample's units; see the module function ``novelty_level``."""
        units = as_units(sample_compositions, 'sample_compositions')
        if not concepts_of(units) <= self.concepts:
            return -1
        level = 0
        for unit in units:
            if unit in self.units:
                continue
            unit_level = level_of_kind(composition_kind(unit, self.attribute_kinds),
                                       self.levels)
            if unit_level is None:
                return -1
            level = max(level, unit_level)
        return level


def novelty_level(sample_compositions: Iterable[Sequence[str]],
                  seen_pairs: Iterable[Sequence[str]],
                  seen_triplets: Iterable[Sequence[str]],
                  seen_concepts: Optional[Iterable[str]] = None,
                  levels: Optional[Mapping[str, int]] = None,
                  attribute_kinds: Optional[Mapping[str, str]] = None) -> int:
    """The level of compositional novelty of a sample w.r.t. seen compositions.

    mmvl's rule (MCRES, Xu et al., CVPR 2023, states that virtual testing set k holds
    level-k novel compositions but its definition of a level is not public):

    - -1: a concept (word) of the sample's compositions is unseen, or an unseen unit has
      a kind without a level. Novel concepts are not compositional novelty, so such a
      sample belongs to no virtual set.
    - 0: every composition is seen.
    - k >= 1: otherwise, the highest level among the kinds of its unseen compositions.
      With the default ``levels``, 1 is an unseen (attribute, noun) pair and 2 an unseen
      (noun, relation, noun) triplet whose concepts are all seen: a triplet composes
      three concepts and spatial structure, a pair two concepts, so a triplet is the
      harder, higher level. A sample with both is level 2.

    Grading many samples against one seen set: build ``SeenCompositions`` once.

    Args:
        sample_compositions (Iterable[Sequence[str]]): The sample's units.
        seen_pairs (Iterable[Sequence[str]]): Seen (attribute, noun) pairs.
        seen_triplets (Iterable[Sequence[str]]): Seen (noun, relation, noun) triplets.
        seen_concepts (Iterable[str], optional): Seen words; None takes the words of the
            seen pairs and triplets. Defaults to None.
        levels (Mapping[str, int], optional): Kind -> level (see ``check_levels``);
            ``{'pair': 1, 'triplet': 1}`` gives K = 1, finer kinds
            (``'pair:colour'``, ``'pair:position'``) with ``attribute_kinds`` give K > 2.
            None uses ``DEFAULT_LEVELS``. Defaults to None.
        attribute_kinds (Mapping[str, str], optional): Attribute word -> kind, for
            ``'pair:<kind>'`` levels. Defaults to None.

    Returns:
        int: -1, 0 or a level in 1..K.
    """
    seen = SeenCompositions(seen_pairs, seen_triplets, seen_concepts, levels, attribute_kinds)
    return seen.novelty_level(sample_compositions)


def _tokens(text: str) -> List[str]:
    return _TOKEN_RE.findall(_POSSESSIVE_RE.sub(r'\1', text.lower()))


def _as_mapping(value, name: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise TypeError(f'{name} must be a mapping, got {type(value).__name__}')
    return value


def _word_list(words, name: str) -> List[str]:
    if isinstance(words, str) or not isinstance(words, Iterable):
        raise TypeError(f'{name} must be a list of words, got {words!r}')
    out = []
    for word in words:
        if not isinstance(word, str) or not word.strip():
            raise ValueError(f'{name}: every word must be a non-empty str, got {word!r}')
        out.append(word.strip().lower())
    return out
