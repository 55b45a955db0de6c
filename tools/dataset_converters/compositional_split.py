# Copyright (c) mmvl contributors. All rights reserved.
"""Re-split a RefCOCO-family refs file into train / test_seen / test_novel compositions.

MCRES, "Meta Compositional Referring Expression Segmentation" (Xu et al., CVPR 2023,
https://arxiv.org/abs/2304.04415), evaluates referring segmentation on expressions with
novel compositions of known concepts. Its splits are not public; this tool builds such a
split from any refer-API ``refs(<splitby>).p``:

- ``train``: refs of the training images, every sentence kept.
- ``test_novel``: refs of the other images with at least one expression holding a
  composition ((attribute, noun) pair or (noun, relation, noun) triplet) that no training
  expression holds, while every concept (word) of its compositions occurs in training;
  only such expressions are kept.
- ``test_seen``: the other refs of those images whose expressions hold only compositions
  of training expressions; only such expressions are kept.
- ``val`` (with ``--val-ratio``): refs of further images drawn out of training, their
  seen-composition expressions kept as in ``test_seen``: a split for choosing
  hyper-parameters (MCRES's inner learning rate, ...) without looking at either test split.

Images are never shared between ``train`` and the test splits (both test splits may hold
refs of one image). Refs left without expressions are dropped. How: a random order of the
distinct compositions is walked and each is held out (its images leave training) while
the held-out images stay within ``--novel-ratio`` of all images, skipping a composition
whose concepts would leave training with it; then ``--seen-ratio`` of the images are drawn
at random for test_seen (and ``--val-ratio`` for val). Compositions come from each
sentence's ``compositions`` field (the toy world has one), else from ``ConceptParser``
(``--parse`` always parses; ``--parser-cfg`` sets its arguments as JSON, e.g.
``'{"relations": ["left of", "next to"]}'``).

Example::

    python tools/dataset_converters/compositional_split.py data/refcoco/refs(unc).p \\
        --novel-ratio 0.1 --seen-ratio 0.1 --seed 0

writes ``data/refcoco/refs(unc-comp).p``; read it with ``RefCOCODataset(split_file=
'refcoco/refs(unc-comp).p', split='train' | 'test_seen' | 'test_novel')``.
"""
import argparse
import copy
import json
import os.path as osp
import pickle
import re
import sys
from collections import Counter, defaultdict

import numpy as np

try:
    from mmvl.datasets.compositions import (ConceptParser, SeenCompositions, as_units,
                                             concepts_of)
    from mmvl.datasets.refcoco import load_refs
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmvl.datasets.compositions import (ConceptParser, SeenCompositions, as_units,
                                             concepts_of)
    from mmvl.datasets.refcoco import load_refs

SPLITS = ('train', 'val', 'test_seen', 'test_novel')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and check the command line; exits with status 2 naming a bad argument."""
    parser = argparse.ArgumentParser(
        description='Re-split refer-API refs into train / test_seen / test_novel compositions.')
    parser.add_argument('refs', help='input refs pickle, e.g. data/refcoco/refs(unc).p')
    parser.add_argument('--novel-ratio', type=float, default=0.1,
                        help='most share of the images held out for novel compositions')
    parser.add_argument('--seen-ratio', type=float, default=None,
                        help='share of the images drawn for test_seen (default: --novel-ratio)')
    parser.add_argument('--val-ratio', type=float, default=0.0,
                        help='share of the images drawn for a seen-composition val split '
                        '(default: 0, no val split)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--parser-cfg', default=None,
                        help='ConceptParser arguments as a JSON object')
    parser.add_argument('--name', default=None,
                        help='output refs(<name>).p next to the input (default: <splitby>-comp)')
    parser.add_argument('--parse', action='store_true',
                        help="parse every sentence, ignoring its 'compositions' field")
    parser.add_argument('--overwrite', action='store_true', help='replace an existing output')
    args = parser.parse_args(argv)
    if args.seen_ratio is None:
        args.seen_ratio = args.novel_ratio
    if not 0.0 < args.novel_ratio < 1.0:
        parser.error(f'argument --novel-ratio: must be in (0, 1) (got {args.novel_ratio})')
    if not 0.0 <= args.seen_ratio < 1.0 or args.novel_ratio + args.seen_ratio >= 1.0:
        parser.error(f'argument --seen-ratio: must be in [0, 1) with --novel-ratio + '
                     f'--seen-ratio < 1 (got {args.seen_ratio})')
    if not 0.0 <= args.val_ratio < 1.0 or \
            args.novel_ratio + args.seen_ratio + args.val_ratio >= 1.0:
        parser.error(f'argument --val-ratio: must be in [0, 1) with --novel-ratio + '
                     f'--seen-ratio + --val-ratio < 1 (got {args.val_ratio})')
    if args.parser_cfg is not None:
        try:
            args.parser_cfg = json.loads(args.parser_cfg)
            ConceptParser(**args.parser_cfg)
        except (ValueError, TypeError) as error:
            parser.error(f'argument --parser-cfg: {error}')
    if not osp.isfile(args.refs):
        parser.error(f'argument refs: no such file {args.refs!r}')
    if args.name is None:
        match = re.fullmatch(r'refs\((.+)\)\.p', osp.basename(args.refs))
        args.name = (match.group(1) if match else 'refs') + '-comp'
    if not re.fullmatch(r'[\w.+-]+', args.name):
        parser.error('argument --name: use letters, digits, ".", "_", "+", "-" '
                     f'(got {args.name!r})')
    args.out = osp.join(osp.dirname(osp.abspath(args.refs)), f'refs({args.name}).p')
    if osp.abspath(args.refs) == args.out:
        parser.error('argument --name: the output would replace the input')
    if osp.exists(args.out) and not args.overwrite:
        parser.error(f'argument --name: {args.out} exists (pass --overwrite to replace it)')
    return args


def sentence_units(refs: list, parse: bool, parser_cfg: dict = None) -> list:
    """Per ref, per sentence, its compositions (field, else ``ConceptParser(**parser_cfg)``)."""
    parser = None
    units = []
    for ref in refs:
        if not isinstance(ref, dict) or not isinstance(ref.get('sentences'), list) \
                or 'image_id' not in ref:
            raise ValueError(f"a ref lacks 'image_id' or a 'sentences' list: {str(ref)[:200]}")
        per_ref = []
        for sent in ref['sentences']:
            if not parse and 'compositions' in sent:
                per_ref.append(as_units(sent['compositions'],
                                        f"ref {ref.get('ref_id')}: compositions"))
                continue
            parser = parser or ConceptParser(**(parser_cfg or {}))
            per_ref.append(parser.compositions(sent.get('sent') or sent.get('raw') or ''))
        units.append(per_ref)
    return units


def hold_out_images(image_units: dict, budget: int, rng: np.random.Generator) -> tuple:
    """Images held out for novel compositions, greedily within ``budget`` images.

    Args:
        image_units (dict): Image id -> set of the units of its sentences.
        budget (int): Most images held out.
        rng (np.random.Generator): Source of randomness.

    Returns:
        tuple[set, list]: The held-out image ids and the held-out units.
    """
    images_of = defaultdict(set)
    for image, units in image_units.items():
        for unit in units:
            images_of[unit].add(image)
    image_concepts = {image: concepts_of(units) for image, units in image_units.items()}
    kept = Counter(w for concepts in image_concepts.values() for w in concepts)
    candidates = sorted(images_of)
    held_images, held_units = set(), []
    for i in rng.permutation(len(candidates)):
        unit = candidates[i]
        new = images_of[unit] - held_images
        if not new or len(held_images) + len(new) > budget:
            continue
        lost = Counter(w for image in new for w in image_concepts[image])
        if any(kept[w] - lost[w] <= 0 for w in unit):
            continue  # a concept of the unit would leave training with it
        held_images |= new
        held_units.append(unit)
        kept.subtract(lost)
        if len(held_images) == budget:
            break
    return held_images, held_units


def compositional_split(refs: list, units: list, novel_ratio: float, seen_ratio: float,
                        seed: int, val_ratio: float = 0.0) -> tuple:
    """New refs with splits ``train``, ``test_seen``, ``test_novel`` (see the module doc).

    Args:
        refs (list): refer-API refs.
        units (list): Per ref, per sentence, its units (``sentence_units``).
        novel_ratio (float): Most share of the images held out for novel compositions.
        seen_ratio (float): Share of the images drawn for test_seen.
        seed (int): Random seed.
        val_ratio (float): Share of the images drawn for val. Defaults to 0.

    Returns:
        tuple[list, dict]: The new refs and counts for the report.
    """
    rng = np.random.default_rng(seed)
    image_units = defaultdict(set)
    for ref, per_ref in zip(refs, units):
        image_units[ref['image_id']].update(u for sent in per_ref for u in sent)
    images = sorted(image_units)
    novel_images, held_units = hold_out_images(
        image_units, int(round(novel_ratio * len(images))), rng)
    rest = [image for image in images if image not in novel_images]
    num_seen = min(int(round(seen_ratio * len(images))), len(rest) - 1)
    num_val = min(int(round(val_ratio * len(images))), len(rest) - 1 - max(num_seen, 0))
    order = rng.permutation(len(rest))
    seen_images = {rest[i] for i in order[:max(num_seen, 0)]}
    val_images = {rest[i] for i in order[max(num_seen, 0):max(num_seen, 0) + max(num_val, 0)]}
    test_images = novel_images | seen_images | val_images

    train_units = {u for ref, per_ref in zip(refs, units) if ref['image_id'] not in test_images
                   for sent in per_ref for u in sent}
    train_seen = SeenCompositions([u for u in train_units if len(u) == 2],
                                  [u for u in train_units if len(u) == 3])
    out, dropped, levels = [], 0, Counter()
    for ref, per_ref in zip(refs, units):
        if ref['image_id'] not in test_images:
            out.append(_with_sentences(ref, 'train', range(len(per_ref)), per_ref))
            continue
        level = [train_seen.novelty_level(sent) for sent in per_ref]
        novel = [i for i, lv in enumerate(level) if lv > 0]
        seen = [i for i, lv in enumerate(level) if lv == 0]
        if ref['image_id'] in val_images:
            if seen:
                out.append(_with_sentences(ref, 'val', seen, per_ref))
            else:
                dropped += 1
        elif novel:
            out.append(_with_sentences(ref, 'test_novel', novel, per_ref))
            levels.update(level[i] for i in novel)
        elif seen:
            out.append(_with_sentences(ref, 'test_seen', seen, per_ref))
        else:
            dropped += 1
    counts = dict(held_out_compositions=len(held_units), dropped_refs=dropped,
                  novel_sentences_by_level=dict(sorted(levels.items())))
    for split in SPLITS:
        chosen = [r for r in out if r['split'] == split]
        counts[split] = dict(images=len({r['image_id'] for r in chosen}), refs=len(chosen),
                             sentences=sum(len(r['sentences']) for r in chosen))
    return out, counts


def _with_sentences(ref: dict, split: str, keep, per_ref: list) -> dict:
    """A copy of ``ref`` in ``split`` keeping the sentences at ``keep``."""
    new = copy.deepcopy(ref)
    keep = list(keep)
    new['split'] = split
    new['sentences'] = [new['sentences'][i] for i in keep]
    if 'sent_ids' in new:
        new['sent_ids'] = [s.get('sent_id') for s in new['sentences']]
    if 'compositions' in new:
        units = dict.fromkeys(u for i in keep for u in per_ref[i])
        new['compositions'] = [list(u) for u in units]
    return new


def main(argv=None) -> int:
    """Write the new refs file next to the input and print the counts."""
    args = parse_args(argv)
    refs = load_refs(args.refs)
    units = sentence_units(refs, args.parse, args.parser_cfg)
    new_refs, counts = compositional_split(refs, units, args.novel_ratio, args.seen_ratio,
                                           args.seed, args.val_ratio)
    num_images = len({r['image_id'] for r in refs})
    print(f'{args.refs}: {len(refs)} refs, {sum(len(r["sentences"]) for r in refs)} '
          f'sentences, {num_images} images')
    print(f'held out {counts["held_out_compositions"]} compositions')
    for split in SPLITS:
        c = counts[split]
        print(f'  {split}: {c["images"]} images, {c["refs"]} refs, {c["sentences"]} sentences')
    print(f'  test_novel sentences by novelty level (1 pair, 2 triplet): '
          f'{counts["novel_sentences_by_level"]}')
    print(f'  dropped {counts["dropped_refs"]} test/val refs (no expression of the level the '
          'split keeps: novel compositions of seen concepts, or seen ones)')
    if not counts['test_novel']['refs']:
        print('error: no test_novel refs; raise --novel-ratio', file=sys.stderr)
        return 1
    with open(args.out, 'wb') as f:
        pickle.dump(new_refs, f)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
