# Copyright (c) mmvl contributors. All rights reserved.
"""Formatters and samplers for the task formats: VQAv2, NLVR2 and ImageNet-style folders."""
import dataclasses
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from . import render
from .language import annotator_answers, nlvr2_statements
from .scene import Pair, Scene, render_scene, sample_object
from .vocabulary import COLOURS
from .writers import toyworld_info


def question_id(scene: Scene, k: int) -> int:
    """VQAv2 convention: ``image_id * 1000 + k``."""
    return scene.image_id * 1000 + k


def vqa_files(scenes: Sequence[Scene], split: str, seed: int
              ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """VQAv2 question and annotation files, https://visualqa.org/download.html.

    Read by mmpretrain ``COCOVQA`` (``question_file``, ``ann_file``, ``data_prefix='by_id'``:
    it finds images by the 12-digit image id in their file names).

    Args:
        scenes (Sequence[Scene]): Scenes of one split, whose ``text['vqa']`` items carry
            ``answers`` (see ``language.annotator_answers``).
        split (str): ``'train'`` or ``'val'`` (recorded as ``data_subtype``).
        seed (int): Generator seed.

    Returns:
        tuple:
        - dict: Questions file, ``questions`` = ``{'image_id', 'question', 'question_id'}``.
        - dict: Annotations file, ``annotations`` with ``question_type``, ``answer_type``
          (yes/no, number or other), ``multiple_choice_answer`` and 10 ``answers``.
    """
    info = dict(description=f'mmvl toy world VQA (synthetic, seed {seed})', version='2.0')
    head = dict(info=info, license=dict(name='CC0-1.0', url=''), data_subtype=split,
                data_type='toyworld')
    questions, annotations = [], []
    for scene in scenes:
        for k, item in enumerate(scene.text['vqa']):
            qid = question_id(scene, k)
            questions.append(dict(image_id=scene.image_id, question=item['question'],
                                  question_id=qid))
            annotations.append(dict(
                question_type=item['question_type'], multiple_choice_answer=item['answer'],
                answers=item['answers'], image_id=scene.image_id,
                answer_type=item['answer_type'], question_id=qid))
    toy = toyworld_info(seed)
    return (dict(task_type='Open-Ended', **head, questions=questions, toyworld=toy),
            dict(**head, annotations=annotations, toyworld=toy))


def vqa_with_answers(rng: np.random.Generator, items: List[dict]) -> List[dict]:
    """Attach 10 annotator answers to each VQA item (see ``language.annotator_answers``)."""
    return [dict(item, answers=annotator_answers(rng, item)) for item in items]


def nlvr2_examples(rng: np.random.Generator, scenes: Sequence[Scene], split: str,
                   forbidden: Sequence[Pair] = ()) -> Tuple[List[dict], Dict[str, Scene]]:
    """NLVR2 examples over pairs of scenes, http://lil.nlp.cornell.edu/nlvr/.

    Official ``identifier`` layout ``<split>-<set>-<pair>-<sentence>``; the pair's images are
    ``<split>-<set>-<pair>-img0.png`` / ``-img1.png`` (what mmpretrain ``NLVR2`` reads).

    Args:
        rng (np.random.Generator): Source of randomness.
        scenes (Sequence[Scene]): Scenes of one split (at least one).
        split (str): ``'train'`` or ``'dev'``.
        forbidden (Sequence[tuple[str, str]]): (colour, shape) pairs never mentioned.

    Returns:
        tuple:
        - list[dict]: ``identifier``, ``sentence``, ``label`` ("True"/"False") plus the
          toy-world extras ``left_image_id`` and ``right_image_id``.
        - dict[str, Scene]: Image file name to the scene it shows.
    """
    examples, images = [], {}
    num_pairs = max(1, (len(scenes) + 1) // 2)
    for pair_idx in range(num_pairs):
        if len(scenes) > 1:
            i, j = (int(v) for v in rng.choice(len(scenes), size=2, replace=False))
        else:
            i = j = 0
        left, right = scenes[i], scenes[j]
        prefix = f'{split}-{pair_idx}-0'
        images[f'{prefix}-img0.png'] = left
        images[f'{prefix}-img1.png'] = right
        statements = nlvr2_statements(rng, left.objects, right.objects, forbidden)
        for k, (sentence, truth) in enumerate(statements):
            examples.append(dict(identifier=f'{prefix}-{k}', sentence=sentence,
                                 label='True' if truth else 'False',
                                 left_image_id=left.image_id, right_image_id=right.image_id))
    return examples, images


def classification_image(rng: np.random.Generator, shape: str, image_size: int,
                         forbidden: Sequence[Pair] = ()) -> bytes:
    """An object-centric image of one shape class, as PNG bytes.

    As in ImageNet, the object fills much of the frame near the centre (circumradius 25-38 %
    of the side, centre within 10 % of the middle), so that it stays recognisable when
    classification pipelines shrink the image.

    Args:
        rng (np.random.Generator): Source of randomness.
        shape (str): The class.
        image_size (int): Side of the square image.
        forbidden (Sequence[tuple[str, str]]): (colour, shape) pairs never sampled.

    Returns:
        bytes: The encoded image.
    """
    colours = [c for c in COLOURS if (c, shape) not in set(forbidden)]
    colour = colours[rng.integers(len(colours))]
    obj = sample_object(rng, image_size, pair=(colour, shape), size='large')
    offset = rng.uniform(-0.1, 0.1, size=2) * image_size
    obj = dataclasses.replace(
        obj,
        centre=tuple(int(image_size / 2 + d) for d in offset),
        radius=round(float(rng.uniform(0.25, 0.38) * image_size), 3))
    image, _ = render_scene(rng, [obj], image_size)
    return render.encode_png(image)


def imagenet_list(files: Sequence[Tuple[str, int]]) -> str:
    """ImageNet ``meta/<split>.txt``: one ``<class>/<file> <label>`` line per image."""
    return ''.join(f'{name} {label}\n' for name, label in files)
