# Copyright (c) mmvl contributors. All rights reserved.
"""Generate the whole toy world on disk (see ``readme.py`` for the layout written).

Randomness comes only from ``numpy.random.Generator`` objects seeded with
``(seed, stream, index)``, one stream per product (scenes, captions, refs, ...), so every file is a
pure function of the arguments and re-runs are byte-identical.
"""
import json
import os
import os.path as osp
import shutil
from collections import Counter
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from . import actions, render, task_writers, video, writers
from .language import captions, referring_expressions, vqa_items
from .readme import OUTPUT_ENTRIES, readme_text
from .scene import Scene, make_scene
from .vocabulary import CLASSES, HELD_OUT_PAIRS

GENERATOR = 'mmvl.datasets.toyworld'
FORMAT_VERSION = 1
#: Labelled action clips written by default.
DEFAULT_ACTION_CLIPS = 480
_STREAMS = dict(scene=0, caption=1, ref=2, vqa=3, nlvr2=4, imagenet=5, video=6,
                action=7)


def _rng(seed: int, stream: str, index: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[stream], index])


def split_sizes(num_images: int, val_fraction: float) -> Tuple[int, int]:
    """Numbers of train and val images; both at least one.

    Args:
        num_images (int): Total images (at least 2).
        val_fraction (float): Share of val images, in (0, 1).

    Returns:
        tuple[int, int]: (num_train, num_val).
    """
    num_val = min(num_images - 1, max(1, int(round(num_images * val_fraction))))
    return num_images - num_val, num_val


def argument_problems(num_images: int, seed: int, image_size: int, val_fraction: float,
                      num_videos: int, num_frames: int, images_per_class: Optional[int],
                      num_action_clips: int = 0) -> List[Tuple[str, str]]:
    """Check ``generate_toyworld`` arguments.

    Returns:
        list[tuple[str, str]]: (argument name, what is wrong) per bad argument; empty if fine.
    """
    checks = [
        (num_images >= 2, 'num_images', 'must be at least 2 (one train and one val image)'),
        (seed >= 0, 'seed', 'must be >= 0'),
        (64 <= image_size <= 1024, 'image_size', 'must be in [64, 1024]'),
        (0 < val_fraction < 1, 'val_fraction', 'must be in the open interval (0, 1)'),
        (num_videos >= 0, 'num_videos', 'must be >= 0'),
        (num_frames >= 1, 'num_frames', 'must be >= 1'),
        (images_per_class is None or images_per_class >= 1, 'images_per_class', 'must be >= 1'),
        (num_action_clips == 0 or num_action_clips >= 2, 'num_action_clips',
         'must be 0 or at least 2 (one train and one val clip)'),
    ]
    return [(name, why) for ok, name, why in checks if not ok]


def prepare_out_dir(out_dir: str) -> None:
    """Create ``out_dir``, or clear the entries a previous run wrote there.

    Raises:
        NotADirectoryError: ``out_dir`` exists and is not a directory.
        FileExistsError: ``out_dir`` is non-empty and has no toy-world ``summary.json``.
    """
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise NotADirectoryError(f'out_dir {out_dir!r} exists and is not a directory')
    os.makedirs(out_dir, exist_ok=True)
    entries = os.listdir(out_dir)
    if not entries:
        return
    summary = osp.join(out_dir, 'summary.json')
    ours = False
    if osp.isfile(summary):
        with open(summary, encoding='utf-8') as f:
            try:
                ours = json.load(f).get('generator') == GENERATOR
            except (ValueError, AttributeError):
                ours = False
    if not ours:
        raise FileExistsError(f'out_dir {out_dir!r} is not empty and holds no toy world written '
                              'by make_toyworld; choose a new or empty folder')
    for name in OUTPUT_ENTRIES:
        path = osp.join(out_dir, name)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        elif osp.lexists(path):
            os.remove(path)


def _forced_pairs(val_rank: int, num_val: int) -> List[Tuple[str, str]]:
    """Held-out pairs placed in val image ``val_rank`` (round-robin over val images)."""
    return [p for k, p in enumerate(HELD_OUT_PAIRS) if k % num_val == val_rank]


def make_scenes(num_images: int, seed: int, image_size: int, val_fraction: float,
                progress: Callable[[str], None] = lambda msg: None) -> List[Scene]:
    """Sample, render and describe all scenes (train first, then val).

    Train scenes never contain a ``HELD_OUT_PAIRS`` composition (nor does their text mention
    one); every held-out pair is placed in at least one val scene.

    Args:
        num_images (int): Total scenes.
        seed (int): Generator seed.
        image_size (int): Side of the square images.
        val_fraction (float): Share of val scenes.
        progress (Callable[[str], None]): Receives progress messages.

    Returns:
        list[Scene]: Scenes with ``ann_ids`` and ``text`` (captions, refs, vqa) filled in.
    """
    num_train, num_val = split_sizes(num_images, val_fraction)
    scenes, next_ann = [], 1
    for idx in range(num_images):
        is_train = idx < num_train
        forbidden = HELD_OUT_PAIRS if is_train else ()
        forced = () if is_train else _forced_pairs(idx - num_train, num_val)
        scene = make_scene(_rng(seed, 'scene', idx), idx + 1, 'train' if is_train else 'val',
                           idx if is_train else idx - num_train, image_size, forbidden, forced)
        scene.ann_ids = list(range(next_ann, next_ann + len(scene.objects)))
        next_ann += len(scene.objects)
        ref_rng = _rng(seed, 'ref', idx)
        refs = []
        for k in range(len(scene.objects)):
            exprs = referring_expressions(ref_rng, scene.objects, k, image_size)
            if exprs:
                refs.append(dict(obj=k, expressions=exprs))
        vqa_rng = _rng(seed, 'vqa', idx)
        items = vqa_items(vqa_rng, scene.objects, image_size, forbidden)
        scene.text = dict(captions=captions(_rng(seed, 'caption', idx), scene.objects, image_size),
                          refs=refs, vqa=task_writers.vqa_with_answers(vqa_rng, items))
        scenes.append(scene)
        if (idx + 1) % 50 == 0 or idx + 1 == num_images:
            progress(f'scenes {idx + 1}/{num_images}')
    return scenes


def _write_text(text: str, path: str) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def _split_groups(scenes: List[Scene]) -> Dict[str, List[Scene]]:
    return {s: [x for x in scenes if x.split == s] for s in ('train', 'val')}


def write_coco_family(out_dir: str, scenes: List[Scene], seed: int) -> Dict[str, Any]:
    """Write scene images, COCO instances and captions, Karpathy splits and RefCOCO.

    Returns:
        dict: Counts for ``summary.json``.
    """
    join = partial(osp.join, out_dir)
    for scene in scenes:
        writers.write_bytes(scene.png, join(scene.split, scene.file_name))
        writers.link_or_copy(join(scene.split, scene.file_name), join('by_id', scene.id_file_name))
    os.makedirs(join('annotations'), exist_ok=True)
    groups = _split_groups(scenes)
    for split, group in groups.items():
        writers.dump_json(writers.coco_instances(group, seed),
                          join('annotations', f'instances_{split}.json'))
        writers.dump_json(writers.coco_captions(group, seed),
                          join('annotations', f'captions_{split}.json'))
    writers.dump_json(writers.karpathy(scenes, seed), join('annotations', 'karpathy_toyworld.json'))
    for split in ('train', 'val', 'test'):
        writers.dump_json(writers.blip_captions(scenes, split),
                          join('annotations', f'coco_karpathy_{split}.json'))
    instances, refs = writers.refcoco(scenes, seed)
    os.makedirs(join('refcoco'), exist_ok=True)
    writers.dump_json(instances, join('refcoco', 'instances.json'))
    writers.dump_pickle(refs, join('refcoco', 'refs(unc).p'))
    held = {tuple(p) for p in HELD_OUT_PAIRS}
    return dict(
        images={s: len(g) for s, g in groups.items()},
        objects={s: sum(len(x.objects) for x in g) for s, g in groups.items()},
        held_out_objects={s: sum((o.colour, o.shape) in held for x in g for o in x.objects)
                          for s, g in groups.items()},
        captions={s: sum(len(x.text['captions']) for x in g) for s, g in groups.items()},
        refs=dict(sorted(Counter(r['split'] for r in refs).items())),
        ref_sentences=sum(len(r['sentences']) for r in refs))


def write_vqa_nlvr2(out_dir: str, scenes: List[Scene], seed: int) -> Dict[str, Any]:
    """Write the VQAv2 files and the NLVR2 pairs (``train`` from train, ``dev`` from val).

    Returns:
        dict: Counts for ``summary.json``.
    """
    join = partial(osp.join, out_dir)
    os.makedirs(join('vqa'), exist_ok=True)
    os.makedirs(join('nlvr2'), exist_ok=True)
    vqa_counts, nlvr2_counts = {}, {}
    for split, group in _split_groups(scenes).items():
        questions, answers = task_writers.vqa_files(group, split, seed)
        writers.dump_json(questions, join('vqa', f'toyworld_{split}_questions.json'))
        writers.dump_json(answers, join('vqa', f'toyworld_{split}_annotations.json'))
        vqa_counts[split] = len(questions['questions'])
        name = 'train' if split == 'train' else 'dev'
        examples, images = task_writers.nlvr2_examples(
            _rng(seed, 'nlvr2', int(split == 'val')), group, name,
            HELD_OUT_PAIRS if split == 'train' else ())
        for file_name, scene in images.items():
            writers.link_or_copy(join(scene.split, scene.file_name),
                                 join('nlvr2', 'images', name, file_name))
        _write_text(''.join(json.dumps(e, separators=(',', ':')) + '\n' for e in examples),
                    join('nlvr2', f'{name}.json'))
        nlvr2_counts[name] = len(examples)
    # the answer table of VQA-as-classification: every normalised train answer (min count 1),
    # as tools/dataset_converters/build_vqa_answer_table.py builds it for VQAv2
    from mmvl.datasets.vl.vqa import build_answer_table
    table = build_answer_table(join('vqa', 'toyworld_train_annotations.json'), min_count=1)
    writers.dump_json(table, join('vqa', 'answer_table.json'))
    return dict(vqa_questions=vqa_counts, vqa_answers=len(table), nlvr2_statements=nlvr2_counts)


def write_imagenet(out_dir: str, seed: int, image_size: int, per_class: int,
                   val_fraction: float) -> Dict[str, Any]:
    """Write ImageNet-style class folders and ``meta/{train,val}.txt``.

    Returns:
        dict: Counts for ``summary.json``.
    """
    counts = {}
    os.makedirs(osp.join(out_dir, 'imagenet', 'meta'), exist_ok=True)
    for split, count in (('train', per_class), ('val', max(1, round(per_class * val_fraction)))):
        files = []
        for label, shape in enumerate(CLASSES):
            for k in range(count):
                rng = _rng(seed, 'imagenet', (label * 2 + (split == 'val')) * 100000 + k)
                data = task_writers.classification_image(
                    rng, shape, image_size, HELD_OUT_PAIRS if split == 'train' else ())
                name = f'{shape}/{shape}_{k:05d}.png'
                writers.write_bytes(data, osp.join(out_dir, 'imagenet', split, name))
                files.append((name, label))
        _write_text(task_writers.imagenet_list(files),
                    osp.join(out_dir, 'imagenet', 'meta', f'{split}.txt'))
        counts[split] = len(files)
    return dict(imagenet_images=counts)


def write_video(out_dir: str, seed: int, image_size: int, num_videos: int,
                num_frames: int) -> Dict[str, Any]:
    """Write clips, the YouTube-VIS file and the Ref-YouTube-VOS / YouTube-VOS meta files.

    Returns:
        dict: Counts for ``summary.json``.
    """
    clips = [video.make_clip(_rng(seed, 'video', v), f'toy{v:05d}', image_size, num_frames,
                             HELD_OUT_PAIRS) for v in range(num_videos)]
    if not clips:
        return dict(videos=0, video_frames=0, video_tracks=0, video_expressions=0)
    join = partial(osp.join, out_dir, 'video')
    for clip in clips:
        for t, data in enumerate(clip.frames):
            writers.write_bytes(data, join('JPEGImages', clip.video_id,
                                           f'{video.frame_name(t)}.jpg'))
    os.makedirs(join('annotations'), exist_ok=True)
    vis = video.youtube_vis(clips, image_size, seed)
    writers.dump_json(vis, join('annotations', 'youtube_vis_train.json'))
    expressions, meta = video.ref_youtube_vos(clips)
    writers.dump_json(expressions, join('meta_expressions.json'))
    writers.dump_json(meta, join('meta.json'))
    return dict(videos=len(clips), video_frames=len(clips) * num_frames,
                video_tracks=len(vis['annotations']),
                video_expressions=sum(len(v['expressions'])
                                      for v in expressions['videos'].values()))


def write_actions(out_dir: str, seed: int, num_clips: int, val_fraction: float,
                  image_size: int = actions.ACTION_CLIP_SIZE,
                  num_frames: int = actions.ACTION_CLIP_FRAMES
                  ) -> Dict[str, Any]:
    """Write the labelled action clips as mp4 files and as frame folders, with list files.

    Labels cycle through ``actions.ACTIONS``; train clips come first, then val. Both layouts
    hold the same frames: ``videos/`` with a Kinetics-400 list (``<file> <label>``) and
    ``rawframes/`` with a Something-Something V2 / rawframe list (``<folder> <frames> <label>``).

    Returns:
        dict: Counts for ``summary.json``.
    """
    if num_clips == 0:
        return dict(action_clips={})
    num_train, _ = split_sizes(num_clips, val_fraction)
    join = partial(osp.join, out_dir, 'video', 'actions')
    lists: Dict[str, Dict[str, List[str]]] = {'train': dict(v=[], f=[]), 'val': dict(v=[], f=[])}
    for idx in range(num_clips):
        split = 'train' if idx < num_train else 'val'
        clip = actions.make_action_clip(_rng(seed, 'action', idx), f'act{idx:05d}',
                                        idx % len(actions.ACTIONS), image_size, num_frames,
                                        HELD_OUT_PAIRS)
        writers.write_bytes(actions.encode_mp4(clip.frames),
                            join('videos', split, f'{clip.name}.mp4'))
        for t, frame in enumerate(clip.frames):
            writers.write_bytes(render.encode_jpeg(frame),
                                join('rawframes', split, clip.name, actions.rawframe_name(t)))
        lists[split]['v'].append(f'{split}/{clip.name}.mp4 {clip.label}\n')
        lists[split]['f'].append(f'{split}/{clip.name} {num_frames} {clip.label}\n')
    for split, rows in lists.items():
        _write_text(''.join(rows['v']), join(f'kinetics_{split}_list_videos.txt'))
        _write_text(''.join(rows['f']), join(f'sthv2_{split}_list_rawframes.txt'))
    _write_text(''.join(f'{name}\n' for name in actions.ACTIONS), join('label_map.txt'))
    return dict(action_clips={s: len(rows['v']) for s, rows in lists.items()})


def generate_toyworld(out_dir: str, num_images: int = 200, seed: int = 0, image_size: int = 160,
                      val_fraction: float = 0.2, num_videos: int = 4, num_frames: int = 8,
                      images_per_class: Optional[int] = None,
                      num_action_clips: int = DEFAULT_ACTION_CLIPS,
                      progress: Optional[Callable[[str], None]] = None) -> Dict[str, Any]:
    """Write the toy world in its public formats under ``out_dir``.

    The layout is described in ``README.md`` inside ``out_dir`` (see ``readme.readme_text``).
    Re-running with the same arguments gives byte-identical files; a previous toy world in
    ``out_dir`` is replaced.

    Args:
        out_dir (str): Output folder; created if missing, must be empty or a previous toy world.
        num_images (int): Scenes in train + val (at least 2). Defaults to 200.
        seed (int): Seed of every random choice (>= 0). Defaults to 0.
        image_size (int): Side of the square images in pixels. Defaults to 160.
        val_fraction (float): Share of scenes in val, in (0, 1). Defaults to 0.2.
        num_videos (int): Clips in ``video/``. Defaults to 4.
        num_frames (int): Frames per clip. Defaults to 8.
        images_per_class (int, optional): ImageNet-style train images per class. Defaults to
            None, meaning ``max(2, num_images // 8)``; val gets ``val_fraction`` of it (>= 1).
        num_action_clips (int): Labelled action clips in ``video/actions/`` (0 or >= 2), split
            into train and val by ``val_fraction``. Defaults to ``DEFAULT_ACTION_CLIPS``.
        progress (Callable[[str], None], optional): Receives progress messages. Defaults to None.

    Returns:
        dict: The contents of ``summary.json`` plus ``out_dir`` (absolute path).
    """
    given = dict(num_images=num_images, seed=seed, image_size=image_size,
                 val_fraction=val_fraction, num_videos=num_videos, num_frames=num_frames,
                 images_per_class=images_per_class, num_action_clips=num_action_clips)
    problems = argument_problems(**given)
    if problems:
        raise ValueError('; '.join(f'{name} {why} (got {given[name]!r})'
                                   for name, why in problems))
    say = progress or (lambda msg: None)
    prepare_out_dir(out_dir)
    per_class = images_per_class or max(2, num_images // 8)

    scenes = make_scenes(num_images, seed, image_size, val_fraction, say)
    counts = write_coco_family(out_dir, scenes, seed)
    say(f'wrote train/, val/, by_id/, annotations/ and refcoco/ ({counts["ref_sentences"]} '
        'referring expressions)')
    counts.update(write_vqa_nlvr2(out_dir, scenes, seed))
    say(f'wrote vqa/ ({sum(counts["vqa_questions"].values())} questions) and nlvr2/ '
        f'({sum(counts["nlvr2_statements"].values())} statements)')
    counts.update(write_imagenet(out_dir, seed, image_size, per_class, val_fraction))
    say(f'wrote imagenet/ ({counts["imagenet_images"]})')
    counts.update(write_video(out_dir, seed, image_size, num_videos, num_frames))
    say(f'wrote video/ ({counts["videos"]} clips, {counts["video_expressions"]} expressions)')
    counts.update(write_actions(out_dir, seed, num_action_clips, val_fraction))
    say(f'wrote video/actions/ ({counts["action_clips"]} labelled action clips)')

    summary = dict(
        generator=GENERATOR, format_version=FORMAT_VERSION,
        arguments=dict(given, images_per_class=per_class),
        held_out_pairs=[list(p) for p in HELD_OUT_PAIRS], counts=counts)
    _write_text(readme_text(summary), osp.join(out_dir, 'README.md'))
    _write_text(json.dumps(summary, indent=2) + '\n', osp.join(out_dir, 'summary.json'))
    say(f'wrote README.md and summary.json to {out_dir}')
    return dict(summary, out_dir=osp.abspath(out_dir))
