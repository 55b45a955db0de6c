# Copyright (c) mmvl contributors. All rights reserved.
"""Formatters for the COCO family of files: instances, captions, Karpathy splits and RefCOCO.

Each function turns generated scenes into the plain structure of one public format; the
generator serialises them with ``dump_json`` / ``dump_pickle`` (fixed key order and
separators, pickle protocol 4), so re-runs give byte-identical files.
"""
import json
import os
import pickle
import shutil
from typing import Any, Dict, List, Sequence, Tuple

from .language import tokenize
from .scene import Scene
from .vocabulary import (BASE_CLASSES, CLASSES, COLOURS, HELD_OUT_PAIRS, NOVEL_CLASSES,
                         RELATIONS, SIZES, category_id, coco_categories)


def dump_json(obj: Any, path: str) -> None:
    """Write compact JSON (insertion key order, ASCII, trailing newline)."""
    with open(path, 'w', encoding='utf-8') as f:
        f.write(json.dumps(obj, separators=(',', ':'), ensure_ascii=True))
        f.write('\n')


def dump_pickle(obj: Any, path: str) -> None:
    """Write a pickle with the fixed protocol 4."""
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=4)


def write_bytes(data: bytes, path: str) -> None:
    """Write raw bytes, creating the parent folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def link_or_copy(src: str, dst: str) -> None:
    """Hard-link ``dst`` to ``src`` (same bytes, no extra space), copying if links fail."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def toyworld_info(seed: int) -> Dict[str, Any]:
    """The ``toyworld`` block recorded at the top level of every JSON file."""
    return dict(seed=seed, classes=list(CLASSES), base_classes=list(BASE_CLASSES),
                novel_classes=list(NOVEL_CLASSES), colours=list(COLOURS), sizes=list(SIZES),
                relations=list(RELATIONS), held_out_pairs=[list(p) for p in HELD_OUT_PAIRS])


def _info(seed: int, what: str) -> Dict[str, Any]:
    return dict(description=f'mmvl toy world: {what} (synthetic, seed {seed})',
                url='https://cocodataset.org/#format-data', version='1.0', year=2024,
                contributor='mmvl toyworld generator', date_created='')


def image_entry(scene: Scene, with_folder: bool = False) -> Dict[str, Any]:
    """A COCO ``images`` entry; ``coco_url`` is the relative path ``<split>/<file>``.

    Args:
        scene (Scene): The scene.
        with_folder (bool): Put the split folder into ``file_name``. Defaults to False.

    Returns:
        dict: ``id``, ``file_name``, ``width``, ``height``, ``coco_url``, ``license``.
    """
    rel_path = f'{scene.split}/{scene.file_name}'
    return dict(id=scene.image_id, file_name=rel_path if with_folder else scene.file_name,
                width=scene.image_size, height=scene.image_size, coco_url=rel_path, license=0)


def annotation_entries(scene: Scene) -> List[Dict[str, Any]]:
    """COCO ``annotations`` entries of a scene (polygons of the visible masks).

    Besides the standard fields each entry carries ``colour``, ``size`` and ``centre`` (x, y).
    """
    entries = []
    for k, obj in enumerate(scene.objects):
        entries.append(dict(
            id=scene.ann_ids[k], image_id=scene.image_id, category_id=category_id(obj.shape),
            segmentation=scene.polygons[k], area=float(scene.areas[k]), bbox=scene.bboxes[k],
            iscrowd=0, colour=obj.colour, size=obj.size, centre=list(obj.centre)))
    return entries


def coco_instances(scenes: Sequence[Scene], seed: int, with_folder: bool = False
                   ) -> Dict[str, Any]:
    """COCO instances file, https://cocodataset.org/#format-data (object detection).

    Args:
        scenes (Sequence[Scene]): Scenes to include.
        seed (int): Generator seed, recorded in ``info`` and ``toyworld``.
        with_folder (bool): Prefix file names with the split folder. Defaults to False.

    Returns:
        dict: ``info``, ``licenses``, ``images``, ``annotations``, ``categories``, ``toyworld``.
    """
    return dict(
        info=_info(seed, 'instances'), licenses=[dict(id=0, name='CC0-1.0', url='')],
        images=[image_entry(s, with_folder) for s in scenes],
        annotations=[a for s in scenes for a in annotation_entries(s)],
        categories=coco_categories(), toyworld=toyworld_info(seed))


def caption_id(scene: Scene, k: int) -> int:
    """Globally unique caption (sentence) id: ``image_id * 10 + k``."""
    return scene.image_id * 10 + k


def coco_captions(scenes: Sequence[Scene], seed: int) -> Dict[str, Any]:
    """COCO captions file (``captions_*.json``), https://cocodataset.org/#format-data.

    mmpretrain's ``COCORetrieval`` reads it: image paths come from ``coco_url``'s last two parts.
    """
    return dict(
        info=_info(seed, 'captions'), licenses=[dict(id=0, name='CC0-1.0', url='')],
        images=[image_entry(s) for s in scenes],
        annotations=[dict(id=caption_id(s, k), image_id=s.image_id, caption=c)
                     for s in scenes for k, c in enumerate(s.text['captions'])],
        toyworld=toyworld_info(seed))


def karpathy_split(scene: Scene, val_rank: int) -> str:
    """Karpathy split: train images stay ``train``; val images alternate ``val`` / ``test``."""
    if scene.split == 'train':
        return 'train'
    return 'val' if val_rank % 2 == 0 else 'test'


def _val_ranks(scenes: Sequence[Scene]) -> List[int]:
    ranks, count = [], 0
    for scene in scenes:
        ranks.append(count if scene.split == 'val' else -1)
        count += scene.split == 'val'
    return ranks


def karpathy(scenes: Sequence[Scene], seed: int) -> Dict[str, Any]:
    """Karpathy split file in the ``dataset_coco.json`` layout.

    From https://cs.stanford.edu/people/karpathy/deepimagesent/ (as used by NeuralTalk and
    most captioning and retrieval code).

    Args:
        scenes (Sequence[Scene]): All scenes, train then val.
        seed (int): Generator seed.

    Returns:
        dict: ``{'images': [...], 'dataset': 'coco', 'toyworld': ...}``; each image has
        ``filepath``, ``filename``, ``imgid``, ``cocoid``, ``split``, ``sentids``, ``sentences``.
    """
    images = []
    for imgid, (scene, rank) in enumerate(zip(scenes, _val_ranks(scenes))):
        sentences = [dict(tokens=tokenize(c), raw=c, imgid=imgid, sentid=caption_id(scene, k))
                     for k, c in enumerate(scene.text['captions'])]
        images.append(dict(filepath=scene.split, sentids=[s['sentid'] for s in sentences],
                           filename=scene.file_name, imgid=imgid, split=karpathy_split(scene, rank),
                           sentences=sentences, cocoid=scene.image_id))
    return dict(images=images, dataset='coco', toyworld=toyworld_info(seed))


def blip_captions(scenes: Sequence[Scene], split: str) -> List[Dict[str, Any]]:
    """BLIP/LAVIS ``coco_karpathy_{train,val,test}.json`` (read by mmpretrain ``COCOCaption``).

    ``COCOCaption`` takes the image id from the file name, so ``image`` points at the
    ``by_id/<image_id:012d>.png`` link of each scene.

    Args:
        scenes (Sequence[Scene]): All scenes, train then val.
        split (str): ``'train'`` (one entry per caption) or ``'val'`` / ``'test'`` (one entry
            per image with the list of captions).

    Returns:
        list[dict]: ``{'image': 'by_id/<file>', 'caption', 'image_id'}`` entries.
    """
    entries = []
    for scene, rank in zip(scenes, _val_ranks(scenes)):
        if karpathy_split(scene, rank) != split:
            continue
        image = f'by_id/{scene.id_file_name}'
        if split == 'train':
            entries += [dict(caption=c, image=image, image_id=str(scene.image_id))
                        for c in scene.text['captions']]
        else:
            entries.append(dict(image=image, caption=list(scene.text['captions'])))
    return entries


def refcoco_split(scene: Scene, val_rank: int, ref: Dict[str, Any]) -> str:
    """RefCOCO (UNC) split of a ref.

    ``train`` on train images; on val images ``testB`` when the target or any composition uses a
    held-out (colour, shape) pair, else ``val`` / ``testA`` alternating by image.
    """
    if scene.split == 'train':
        return 'train'
    obj = scene.objects[ref['obj']]
    held = {tuple(p) for p in HELD_OUT_PAIRS}
    comps = [tuple(c) for e in ref['expressions'] for c in e['compositions'] if len(c) == 2]
    if (obj.colour, obj.shape) in held or any(c in held for c in comps):
        return 'testB'
    return 'val' if val_rank % 2 == 0 else 'testA'


def refcoco(scenes: Sequence[Scene], seed: int) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """RefCOCO files: ``instances.json`` over all images and the refer-API ``refs(unc).p`` list.

    Layout of https://github.com/lichengunc/refer (read by mmdet ``RefCocoDataset``). Each ref
    also carries ``compositions``: the [attribute, shape] and [shape, relation, shape] units
    its expressions use (each sentence has its own ``compositions`` too).

    Args:
        scenes (Sequence[Scene]): All scenes, train then val.
        seed (int): Generator seed.

    Returns:
        tuple:
        - dict: COCO instances with ``file_name`` ``'<split>/<file>'``.
        - list[dict]: Refs with ``ref_id``, ``ann_id``, ``image_id``, ``category_id``,
          ``split``, ``file_name``, ``sentences``, ``sent_ids``, ``compositions``.
    """
    instances = coco_instances(scenes, seed, with_folder=True)
    refs, sent_id = [], 0
    for scene, rank in zip(scenes, _val_ranks(scenes)):
        for ref in scene.text['refs']:
            sentences, units = [], []
            for expr in ref['expressions']:
                tokens = tokenize(expr['text'])
                sentences.append(dict(tokens=tokens, raw=expr['text'], sent_id=sent_id,
                                      sent=' '.join(tokens), compositions=expr['compositions']))
                units += [u for u in expr['compositions'] if u not in units]
                sent_id += 1
            obj = scene.objects[ref['obj']]
            ann_id = scene.ann_ids[ref['obj']]
            refs.append(dict(
                sent_ids=[s['sent_id'] for s in sentences],
                file_name=f'{scene.split}/{scene.file_name[:-4]}_{ann_id}.png',
                ann_id=ann_id, ref_id=len(refs), image_id=scene.image_id,
                split=refcoco_split(scene, rank, ref), sentences=sentences,
                category_id=category_id(obj.shape), compositions=units))
    return instances, refs
