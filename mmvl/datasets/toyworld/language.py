# Copyright (c) mmvl contributors. All rights reserved.
"""Template language for toy-world scenes: captions, referring expressions, VQA and NLVR2.

All text is generated from the objects' attributes, so every statement is true of its image by
construction (or false, for NLVR2 negatives). Attribute words come in the order
``size colour shape`` ("the large red circle"); relation phrases always contain one of
``RELATIONS`` verbatim ("to the left of" contains "left of"), which keeps expressions parseable.
"""
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .scene import RELATION_GAP, ToyObject, relation
from .vocabulary import CLASSES, COLOURS, NUMBER_WORDS, PLURALS, SIZES

#: Attribute subsets tried for a subject, simplest first.
ATTR_SETS: Tuple[Tuple[str, ...], ...] = ((), ('colour',), ('size',), ('size', 'colour'))
_REL_PHRASES = {'left of': ('left of', 'to the left of', 'on the left of'),
                'right of': ('right of', 'to the right of', 'on the right of'),
                'above': ('above',), 'below': ('below',)}
Pair = Tuple[str, str]


def tokenize(text: str) -> List[str]:
    """Lower-case word tokens without punctuation (Karpathy / refer-API ``tokens``)."""
    return re.findall(r'[a-z0-9]+', text.lower())


def article(phrase: str) -> str:
    """Prefix ``a`` or ``an``."""
    return ('an ' if phrase[0] in 'aeiou' else 'a ') + phrase


def number(n: int) -> str:
    """Number word for small counts, digits beyond ten."""
    return NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)


def describe(obj: ToyObject, attrs: Sequence[str] = ('size', 'colour')) -> str:
    """Attribute words followed by the shape, e.g. ``'large red circle'``."""
    words = [obj.size] if 'size' in attrs else []
    words += [obj.colour] if 'colour' in attrs else []
    return ' '.join(words + [obj.shape])


def matches(obj: ToyObject, ref: ToyObject, attrs: Sequence[str]) -> bool:
    """Whether ``obj`` fits the description of ``ref`` by its shape and ``attrs``."""
    return obj.shape == ref.shape and all(getattr(obj, a) == getattr(ref, a) for a in attrs)


def unique_attr_sets(objects: Sequence[ToyObject], idx: int,
                     options: Sequence[Tuple[str, ...]] = ATTR_SETS) -> List[Tuple[str, ...]]:
    """Attribute subsets whose description picks out exactly object ``idx``."""
    target = objects[idx]
    return [attrs for attrs in options
            if sum(matches(o, target, attrs) for o in objects) == 1]


def _compositions(obj: ToyObject, attrs: Sequence[str]) -> List[List[str]]:
    return [[getattr(obj, a), obj.shape] for a in ('colour', 'size') if a in attrs]


def referring_expressions(rng: np.random.Generator, objects: Sequence[ToyObject], idx: int,
                          image_size: int, max_sentences: int = 3) -> List[dict]:
    """Expressions that identify object ``idx`` uniquely within its image.

    Simple expressions use the shape plus as few attributes as needed; relational ones name a
    landmark (itself uniquely described) and the relation of the target to it.

    Args:
        rng (np.random.Generator): Source of randomness.
        objects (Sequence[ToyObject]): All objects of the image.
        idx (int): Index of the target.
        image_size (int): Side of the image (for ``relation``).
        max_sentences (int): Most expressions returned. Defaults to 3.

    Returns:
        list[dict]: ``{'text', 'compositions'}`` per expression; empty if none is unique.
        ``compositions`` holds [attribute, shape] and [shape, relation, shape] units.
    """
    target = objects[idx]
    candidates = [(attrs, None) for attrs in unique_attr_sets(objects, idx)]
    for j, land in enumerate(objects):
        rel = relation(target.centre, land.centre, image_size)
        land_sets = unique_attr_sets(objects, j)
        if j == idx or rel is None or not land_sets:
            continue
        for attrs in ((), ('colour',)):
            hits = [x for i, x in enumerate(objects) if matches(x, target, attrs) and any(
                k != i and matches(y, land, land_sets[0])
                and relation(x.centre, y.centre, image_size) == rel
                for k, y in enumerate(objects))]
            if len(hits) == 1 and hits[0] is target:
                candidates.append((attrs, (rel, land, land_sets[0])))
    if not candidates:
        return []
    order = [0] + [1 + int(i) for i in rng.permutation(len(candidates) - 1)]
    result, seen = [], set()
    for attrs, rel_part in (candidates[i] for i in order[:max_sentences]):
        subject = describe(target, attrs)
        comps = _compositions(target, attrs)
        if rel_part is None:
            text = subject if rng.random() < 0.3 else f'the {subject}'
        else:
            rel, land, land_attrs = rel_part
            phrase = _REL_PHRASES[rel][rng.integers(len(_REL_PHRASES[rel]))]
            template = ('the {s} {r} the {l}', '{s} {r} the {l}',
                        'the {s} that is {r} the {l}')[rng.integers(3)]
            text = template.format(s=subject, r=phrase, l=describe(land, land_attrs))
            comps += [[target.shape, rel, land.shape]] + _compositions(land, land_attrs)
        if text not in seen:
            seen.add(text)
            result.append(dict(text=text, compositions=comps))
    return result


def _listing(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ', '.join(phrases[:-1]) + ' and ' + phrases[-1]


def _shape_counts(objects: Sequence[ToyObject]) -> str:
    counts: Dict[str, int] = {}
    for obj in objects:
        counts[obj.shape] = counts.get(obj.shape, 0) + 1
    return _listing([article(s) if n == 1 else f'{number(n)} {PLURALS[s]}'
                     for s, n in counts.items()])


def captions(rng: np.random.Generator, objects: Sequence[ToyObject], image_size: int,
             num: int = 5) -> List[str]:
    """``num`` captions of a scene from different templates.

    Args:
        rng (np.random.Generator): Source of randomness.
        objects (Sequence[ToyObject]): The scene's objects (at least one).
        image_size (int): Side of the image (for relations).
        num (int): Captions wanted. Defaults to 5.

    Returns:
        list[str]: Distinct captions, ``num`` of them.
    """
    n = len(objects)
    by_x = sorted(objects, key=lambda o: (o.centre[0], o.centre[1]))
    full = [article(describe(o)) for o in by_x]
    short = [article(describe(o, ('colour',))) for o in by_x]
    colours = list(dict.fromkeys(o.colour for o in by_x))
    options = [
        f'{number(n)} {"shape" if n == 1 else "shapes"}: {_listing(full)}.',
        f'an image with {_listing(full)}.',
        f'{_listing(short)} on a dark background.',
        f'a picture showing {_shape_counts(objects)}.',
        f'there {"is" if n == 1 else "are"} {number(n)} {"object" if n == 1 else "objects"} '
        f'in the picture.',
        f'{_listing(colours)} {"shape" if n == 1 else "shapes"} on a textured background.',
    ]
    if n >= 2:
        if by_x[1].centre[0] - by_x[0].centre[0] >= RELATION_GAP * image_size:
            options.append(f'the leftmost object is {full[0]}.')
        ranks = sorted(objects, key=lambda o: -SIZES.index(o.size))
        if ranks[0].size != ranks[1].size:
            options.append(f'the largest object is {article(describe(ranks[0], ("colour",)))}.')
        pairs = [(a, b, relation(a.centre, b.centre, image_size))
                 for a in objects for b in objects if a is not b]
        pairs = [p for p in pairs if p[2] is not None]
        if pairs:
            a, b, rel = pairs[rng.integers(len(pairs))]
            options.append(f'{article(describe(a, ("colour",)))} {rel} '
                           f'{article(describe(b, ("colour",)))}.')
    options = list(dict.fromkeys(options))
    return [options[i] for i in sorted(rng.permutation(len(options))[:num])]


def vqa_items(rng: np.random.Generator, objects: Sequence[ToyObject], image_size: int,
              forbidden: Sequence[Pair] = (), max_questions: int = 5) -> List[dict]:
    """Question-answer pairs about a scene.

    Args:
        rng (np.random.Generator): Source of randomness.
        objects (Sequence[ToyObject]): The scene's objects.
        image_size (int): Side of the image (for relations).
        forbidden (Sequence[tuple[str, str]]): (colour, shape) pairs never mentioned.
        max_questions (int): Most questions returned. Defaults to 5.

    Returns:
        list[dict]: ``{'question', 'answer', 'answer_type', 'question_type', 'choices'}``;
        ``choices`` are the plausible wrong answers' vocabulary.
    """
    items = []

    def add(question: str, answer: str, answer_type: str, qtype: str, choices=()) -> None:
        items.append(dict(question=question, answer=answer, answer_type=answer_type,
                          question_type=qtype, choices=tuple(choices)))

    present_c = sorted({o.colour for o in objects}, key=COLOURS.index)
    present_s = sorted({o.shape for o in objects}, key=CLASSES.index)
    colour = present_c[rng.integers(len(present_c))] if rng.random() < 0.6 else \
        COLOURS[rng.integers(len(COLOURS))]
    add(f'how many {colour} objects are there?', str(sum(o.colour == colour for o in objects)),
        'number', 'how many')
    shape = present_s[rng.integers(len(present_s))] if rng.random() < 0.6 else \
        CLASSES[rng.integers(len(CLASSES))]
    add(f'how many {PLURALS[shape]} are there?', str(sum(o.shape == shape for o in objects)),
        'number', 'how many')
    absent = [s for s in CLASSES if s not in present_s]
    shape = absent[rng.integers(len(absent))] if absent and rng.random() < 0.5 else \
        present_s[rng.integers(len(present_s))]
    add(f'is there {article(shape)}?', 'yes' if shape in present_s else 'no', 'yes/no',
        'is there a')
    pairs = [(c, s) for c in COLOURS for s in CLASSES if (c, s) not in forbidden]
    obj = objects[rng.integers(len(objects))]
    pair = (obj.colour, obj.shape) if rng.random() < 0.5 else pairs[rng.integers(len(pairs))]
    add(f'is there {article(" ".join(pair))}?',
        'yes' if any((o.colour, o.shape) == pair for o in objects) else 'no', 'yes/no',
        'is there a')
    for i in rng.permutation(len(objects)):
        sets = unique_attr_sets(objects, int(i), ((), ('size',)))
        if sets:
            add(f'what colour is the {describe(objects[i], sets[0])}?', objects[i].colour,
                'other', 'what colour is the', COLOURS)
            break
    for i in rng.permutation(len(objects)):
        sets = unique_attr_sets(objects, int(i), ((), ('colour',)))
        if sets:
            add(f'what size is the {describe(objects[i], sets[0])}?', objects[i].size, 'other',
                'what size is the', SIZES)
            break
    for j in rng.permutation(len(objects)):
        land_sets = unique_attr_sets(objects, int(j))
        rels = [relation(x.centre, objects[j].centre, image_size) for x in objects]
        for rel in sorted({r for r in rels if r is not None}):
            hits = [objects[k] for k, r in enumerate(rels) if r == rel and k != j]
            if land_sets and len(hits) == 1:
                add(f'what shape is {rel} the {describe(objects[j], land_sets[0])}?',
                    hits[0].shape, 'other', 'what shape is', CLASSES)
                break
        else:
            continue
        break
    keep = sorted(rng.permutation(len(items))[:max_questions])
    return [items[i] for i in keep]


def annotator_answers(rng: np.random.Generator, item: dict, num: int = 10) -> List[dict]:
    """Ten VQAv2-style human answers: mostly the truth, a few plausible mistakes.

    At most three answers disagree, so the majority (``multiple_choice_answer``) is correct.

    Args:
        rng (np.random.Generator): Source of randomness.
        item (dict): An entry of ``vqa_items``.
        num (int): Answers per question. Defaults to 10.

    Returns:
        list[dict]: ``{'answer', 'answer_confidence', 'answer_id'}`` with ids 1..num.
    """
    answer = item['answer']
    num_wrong = int(rng.choice(4, p=[0.45, 0.3, 0.17, 0.08]))
    wrong_slots = set(rng.permutation(num)[:num_wrong].tolist())
    answers = []
    for k in range(num):
        if k in wrong_slots:
            if item['answer_type'] == 'yes/no':
                text = 'no' if answer == 'yes' else 'yes'
            elif item['answer_type'] == 'number':
                text = str(max(int(answer) + int(rng.choice([-1, 1])), 0))
                text = str(int(answer) + 1) if text == answer else text
            else:
                others = [c for c in item['choices'] if c != answer]
                text = others[rng.integers(len(others))]
            confidence = ('maybe', 'no', 'yes')[rng.integers(3)]
        else:
            text = answer
            confidence = 'yes' if rng.random() < 0.9 else 'maybe'
        answers.append(dict(answer=text, answer_confidence=confidence, answer_id=k + 1))
    return answers


def _exactly(n: int, shape: str) -> str:
    if n == 0:
        return f'no {PLURALS[shape]}'
    return f'exactly {number(n)} {shape if n == 1 else PLURALS[shape]}'


def nlvr2_statements(rng: np.random.Generator, left: Sequence[ToyObject],
                     right: Sequence[ToyObject], forbidden: Sequence[Pair] = (),
                     num_true: int = 2, num_false: int = 2) -> List[Tuple[str, bool]]:
    """Statements about an image pair with their truth values (NLVR2 style).

    Args:
        rng (np.random.Generator): Source of randomness.
        left (Sequence[ToyObject]): Objects of the left image.
        right (Sequence[ToyObject]): Objects of the right image.
        forbidden (Sequence[tuple[str, str]]): (colour, shape) pairs never mentioned.
        num_true (int): True statements wanted. Defaults to 2.
        num_false (int): False statements wanted. Defaults to 2.

    Returns:
        list[tuple[str, bool]]: Up to ``num_true + num_false`` distinct statements.
    """
    sides = {'left': left, 'right': right}

    def pick_shape(objs: Sequence[ToyObject]) -> str:
        if objs and rng.random() < 0.6:
            return objs[rng.integers(len(objs))].shape
        return CLASSES[rng.integers(len(CLASSES))]

    def one() -> Optional[Tuple[str, bool]]:
        kind = int(rng.integers(7))
        side = ('left', 'right')[rng.integers(2)]
        objs = sides[side]
        if kind == 0:
            shape = pick_shape(objs)
            n = sum(o.shape == shape for o in objs)
            claim = max(n + int(rng.choice([-1, 0, 0, 1])), 0)
            return f'the {side} image contains {_exactly(claim, shape)}.', claim == n
        if kind == 1:
            colour = COLOURS[rng.integers(len(COLOURS))]
            truth = all(any(o.colour == colour for o in s) for s in (left, right))
            return f'both images contain {article(colour)} object.', truth
        if kind == 2:
            shape = pick_shape(list(left) + list(right))
            truth = all(any(o.shape == shape for o in s) for s in (left, right))
            return f'both images contain {article(shape)}.', truth
        if kind == 3:
            pool = list(left) + list(right)
            obj = pool[rng.integers(len(pool))]
            pair = (obj.colour, obj.shape) if rng.random() < 0.5 else (
                COLOURS[rng.integers(len(COLOURS))], CLASSES[rng.integers(len(CLASSES))])
            if pair in forbidden:
                return None
            truth = any((o.colour, o.shape) == pair for o in pool)
            return f'at least one image contains {article(" ".join(pair))}.', truth
        if kind == 4:
            return ('the left image has more objects than the right image.',
                    len(left) > len(right))
        if kind == 5:
            shape = pick_shape(list(left) + list(right))
            truth = not any(o.shape == shape for o in list(left) + list(right))
            return f'neither image contains {article(shape)}.', truth
        total = len(left) + len(right)
        claim = max(total + int(rng.choice([-1, 0, 1])), 1)
        return f'there are {number(claim)} objects in the two images together.', claim == total

    wanted = {True: num_true, False: num_false}
    chosen: List[Tuple[str, bool]] = []
    for _ in range(60):
        statement = one()
        if statement is None or statement in chosen or wanted[statement[1]] == 0:
            continue
        chosen.append(statement)
        wanted[statement[1]] -= 1
        if not any(wanted.values()):
            break
    return chosen
