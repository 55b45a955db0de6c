# Copyright (c) mmvl contributors. All rights reserved.
"""Behaviour of the toy-world generator and of the public loaders on its files.

Uses the session fixture ``toyworld`` (24 images, seed 0) from ``tests/conftest.py``.
"""
import hashlib
import importlib.util
import json
import os
import os.path as osp
import pickle
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from mmvl.datasets.toyworld import (CLASSES, COLOURS, HELD_OUT_PAIRS, RELATIONS, SIZES,
                                    generate_toyworld, relation)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL = dict(num_images=6, num_videos=1, num_frames=3, images_per_class=1, num_action_clips=4)


def _load(root, *parts):
    with open(osp.join(root, *parts), encoding='utf-8') as f:
        return json.load(f)


def _same_bytes(a, b):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def _digests(root):
    result = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                result[osp.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return result


def test_same_seed_is_byte_identical_and_seed_matters(tmp_path):
    first = generate_toyworld(str(tmp_path / 'a'), seed=5, **SMALL)
    generate_toyworld(str(tmp_path / 'b'), seed=5, **SMALL)
    digests = _digests(str(tmp_path / 'a'))
    assert len(digests) > 40 and digests == _digests(str(tmp_path / 'b'))
    # Re-running into the same folder replaces the previous world, even a bigger one.
    generate_toyworld(str(tmp_path / 'a'), seed=5, **dict(SMALL, num_images=9))
    generate_toyworld(str(tmp_path / 'a'), seed=5, **SMALL)
    assert _digests(str(tmp_path / 'a')) == digests
    generate_toyworld(str(tmp_path / 'c'), seed=6, **SMALL)
    other = _digests(str(tmp_path / 'c'))
    for name in ('train/000000.png', 'annotations/instances_train.json',
                 'video/actions/videos/train/act00000.mp4'):
        assert other[name] != digests[name]
    assert first['counts']['images'] == {'train': 5, 'val': 1}


def test_bad_arguments_and_foreign_folders(tmp_path):
    with pytest.raises(ValueError, match='num_images'):
        generate_toyworld(str(tmp_path / 'x'), num_images=1)
    with pytest.raises(ValueError, match='val_fraction'):
        generate_toyworld(str(tmp_path / 'x'), num_images=4, val_fraction=1.0)
    with pytest.raises(ValueError, match='num_action_clips'):
        generate_toyworld(str(tmp_path / 'x'), num_images=4, num_action_clips=1)
    (tmp_path / 'file').write_text('not a folder')
    with pytest.raises(NotADirectoryError):
        generate_toyworld(str(tmp_path / 'file'), **SMALL)
    (tmp_path / 'busy').mkdir()
    (tmp_path / 'busy' / 'keep.txt').write_text('user data')
    with pytest.raises(FileExistsError):
        generate_toyworld(str(tmp_path / 'busy'), **SMALL)
    assert (tmp_path / 'busy' / 'keep.txt').exists()


def test_coco_instances_score_perfectly(toyworld):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    coco = COCO(osp.join(toyworld, 'annotations', 'instances_train.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(CLASSES)
    anns = coco.loadAnns(coco.getAnnIds())
    for ann in anns:
        assert ann['segmentation'] and all(len(p) >= 6 for p in ann['segmentation'])
        x, y, w, h = ann['bbox']
        assert w > 0 and h > 0 and x + w <= 160 and y + h <= 160 and ann['area'] > 0
        mask = coco.annToMask(ann)
        ys, xs = np.nonzero(mask)
        # The polygons trace the visible mask's pixel edges: their raster is the mask again.
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x, y, x + w, y + h)
        assert abs(int(mask.sum()) - ann['area']) <= 0.005 * ann['area'] + 1
    for iou_type in ('bbox', 'segm'):
        dets = [dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'],
                     score=1.0, segmentation=coco.annToRLE(a)) for a in anns]
        evaluator = COCOeval(coco, coco.loadRes(dets), iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        assert evaluator.stats[0] == pytest.approx(1.0)


def test_held_out_pairs_only_in_val(toyworld):
    held = {tuple(p) for p in HELD_OUT_PAIRS}
    for split in ('train', 'val'):
        data = _load(toyworld, 'annotations', f'instances_{split}.json')
        assert data['toyworld']['held_out_pairs'] == [list(p) for p in HELD_OUT_PAIRS]
        pairs = {(a['colour'], CLASSES[a['category_id'] - 1]) for a in data['annotations']}
        assert (pairs & held) == (set() if split == 'train' else held)
    phrases = [f'{c} {s}' for c, s in held]
    train_text = json.dumps([_load(toyworld, 'annotations', 'captions_train.json'),
                             _load(toyworld, 'vqa', 'toyworld_train_questions.json')])
    with open(osp.join(toyworld, 'nlvr2', 'train.json')) as f:
        train_text += f.read()
    assert not any(p in train_text for p in phrases)


def _parse(tokens):
    """Parse a referring expression into (subject, relation, landmark) attribute dicts."""
    text = ' '.join(tokens)
    parts, rel = [text], None
    for candidate in RELATIONS:
        if f' {candidate} ' in f' {text} ':
            rel = candidate
            parts = f' {text} '.split(f' {candidate} ')
    descs = []
    for part in parts:
        words = part.split()
        shapes = [w for w in words if w in CLASSES]
        assert len(shapes) == 1, text
        descs.append(dict(shape=shapes[0], colour=next((w for w in words if w in COLOURS), None),
                          size=next((w for w in words if w in SIZES), None)))
    return descs[0], rel, (descs[1] if rel else None)


def _fits(ann, desc):
    return CLASSES[ann['category_id'] - 1] == desc['shape'] and all(
        desc[k] is None or ann[k] == desc[k] for k in ('colour', 'size'))


def test_refcoco_expressions_are_unique(toyworld):
    instances = _load(toyworld, 'refcoco', 'instances.json')
    with open(osp.join(toyworld, 'refcoco', 'refs(unc).p'), 'rb') as f:
        refs = pickle.load(f)
    by_image = {}
    for ann in instances['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    assert {r['split'] for r in refs} <= {'train', 'val', 'testA', 'testB'}
    assert 'testB' in {r['split'] for r in refs} and len({r['ref_id'] for r in refs}) == len(refs)
    num_relational = 0
    for ref in refs:
        anns = by_image[ref['image_id']]
        assert ref['compositions'] and ref['sent_ids'] == [s['sent_id'] for s in ref['sentences']]
        for sent in ref['sentences']:
            subject, rel, landmark = _parse(sent['tokens'])
            hits = [a['id'] for a in anns if _fits(a, subject) and (rel is None or any(
                b is not a and _fits(b, landmark)
                and relation(a['centre'], b['centre'], 160) == rel for b in anns))]
            assert hits == [ref['ann_id']], sent['raw']
            num_relational += rel is not None
            if rel is not None:
                assert [subject['shape'], rel, landmark['shape']] in ref['compositions']
    assert num_relational > 0


def test_vqa_answers(toyworld):
    questions = _load(toyworld, 'vqa', 'toyworld_val_questions.json')['questions']
    anns = _load(toyworld, 'vqa', 'toyworld_val_annotations.json')['annotations']
    assert [q['question_id'] for q in questions] == [a['question_id'] for a in anns]
    disagreements = 0
    for ann in anns:
        assert ann['answer_type'] in ('yes/no', 'number', 'other')
        answers = [a['answer'] for a in ann['answers']]
        assert len(answers) == 10 and [a['answer_id'] for a in ann['answers']] == list(range(1, 11))
        assert Counter(answers).most_common(1)[0][0] == ann['multiple_choice_answer']
        disagreements += len(set(answers)) > 1
    assert 0 < disagreements < len(anns)
    assert {a['answer_type'] for a in anns} == {'yes/no', 'number', 'other'}
    from mmvl.datasets.vl.vqa import build_answer_table
    table = _load(toyworld, 'vqa', 'answer_table.json')
    assert table == build_answer_table(
        osp.join(toyworld, 'vqa', 'toyworld_train_annotations.json'), min_count=1)
    assert {'yes', 'no'} <= set(table)


def test_video_files(toyworld):
    from pycocotools import mask as mask_utils
    vis = _load(toyworld, 'video', 'annotations', 'youtube_vis_train.json')
    lengths = {v['id']: v['length'] for v in vis['videos']}
    for ann in vis['annotations']:
        assert len(ann['segmentations']) == len(ann['bboxes']) == lengths[ann['video_id']]
        for seg, area in zip(ann['segmentations'], ann['areas']):
            assert (seg is None) == (area is None)
            if seg is not None:
                rle = mask_utils.frPyObjects(seg, *seg['size'])
                assert mask_utils.area(rle) == area
    for name in vis['videos'][0]['file_names']:
        assert osp.isfile(osp.join(toyworld, 'video', 'JPEGImages', name))
    exps = _load(toyworld, 'video', 'meta_expressions.json')['videos']
    assert sum(len(v['expressions']) for v in exps.values()) > 0


def test_action_clips(toyworld, tmp_path):
    import av
    from mmvl.datasets.toyworld.actions import ACTIONS
    root = osp.join(toyworld, 'video', 'actions')
    with open(osp.join(root, 'label_map.txt'), encoding='utf-8') as f:
        assert f.read().split() == list(ACTIONS)
    rows = {}
    for split in ('train', 'val'):
        with open(osp.join(root, f'kinetics_{split}_list_videos.txt'), encoding='utf-8') as f:
            videos = [line.split() for line in f]
        with open(osp.join(root, f'sthv2_{split}_list_rawframes.txt'), encoding='utf-8') as f:
            frames = [line.split() for line in f]
        # Both lists name the same clips with the same labels, in the same order.
        assert [(v[0][:-4], v[1]) for v in videos] == [(r[0], r[2]) for r in frames]
        rows[split] = frames
    counts = Counter(int(r[2]) for r in rows['train'] + rows['val'])
    assert sorted(counts) == list(range(len(ACTIONS))) and max(counts.values()) - min(
        counts.values()) <= 1
    summary = _load(toyworld, 'summary.json')
    assert summary['counts']['action_clips'] == {s: len(r) for s, r in rows.items()}
    # The mp4 and the frame folder hold the same 16 frames (up to lossy compression).
    folder, num_frames, _ = rows['val'][0]
    with av.open(osp.join(root, 'videos', folder + '.mp4')) as container:
        decoded = [f.to_ndarray(format='bgr24') for f in container.decode(video=0)]
    import cv2
    jpgs = [cv2.imread(osp.join(root, 'rawframes', folder, f'img_{t:05d}.jpg'))
            for t in range(1, int(num_frames) + 1)]
    assert len(decoded) == len(jpgs) == 16 and decoded[0].shape == (64, 64, 3)
    diffs = [np.abs(d.astype(int) - j.astype(int)).mean() for d, j in zip(decoded, jpgs)]
    assert max(diffs) < 8
    # The clips move: consecutive frames differ by more than the background noise on average.
    assert np.mean([np.abs(jpgs[t + 1].astype(int) - jpgs[t]).mean() for t in range(15)]) > 1


def test_action_clips_show_their_action():
    from mmvl.datasets.toyworld.actions import ACTIONS, make_action_clip

    def centroid(clip, t):
        # The actor is painted last and brightest against the dark background; compare the
        # bright pixels of the first and last frames, without a distractor.
        bright = clip.frames[t].max(axis=2) > 140
        ys, xs = np.nonzero(bright)
        return (xs.mean(), ys.mean(), bright.sum()) if len(xs) else None

    checked = Counter()
    for idx in range(200):
        label = idx % len(ACTIONS)
        clip = make_action_clip(np.random.default_rng([3, idx]), 'x', label, 64, 16)
        first, last = centroid(clip, 0), centroid(clip, 15)
        if first is None or last is None:  # a dark colour
            continue
        action = ACTIONS[label]
        if action == 'move_left':
            checked[action] += first[0] > last[0]
        elif action == 'move_right':
            checked[action] += first[0] < last[0]
        elif action == 'move_up':
            checked[action] += first[1] > last[1]
        elif action == 'move_down':
            checked[action] += first[1] < last[1]
        elif action == 'grow':
            checked[action] += first[2] < last[2]
        elif action == 'shrink':
            checked[action] += first[2] > last[2]
    # Distractors and colours below the brightness threshold blur a few; most must agree.
    assert all(count >= 12 for count in checked.values()) and len(checked) == 6, checked


def test_mmdet_loaders(toyworld):
    from mmdet.datasets import CocoDataset, RefCocoDataset
    coco = CocoDataset(data_root=toyworld, ann_file='annotations/instances_train.json',
                       data_prefix=dict(img='train/'), metainfo=dict(classes=CLASSES),
                       pipeline=[])
    item = coco[0]
    assert osp.isfile(item['img_path']) and item['instances'][0]['mask']
    refcoco = RefCocoDataset(data_root=toyworld, ann_file='refcoco/instances.json',
                             split_file='refcoco/refs(unc).p', data_prefix=dict(img_path=''),
                             split='testB', text_mode='select_first', pipeline=[])
    item = refcoco[0]
    assert osp.isfile(item['img_path']) and item['text'] and len(item['instances'])


def test_mmpretrain_loaders(toyworld):
    from mmpretrain.datasets import (NLVR2, COCOCaption, COCORetrieval, COCOVQA,
                                     CustomDataset, ImageNet)
    vqa = COCOVQA(data_root=toyworld, data_prefix='by_id', pipeline=[],
                  question_file='vqa/toyworld_val_questions.json',
                  ann_file='vqa/toyworld_val_annotations.json')
    item = vqa[0]
    assert item['gt_answer'] and item['gt_answer_weight']
    images = _load(toyworld, 'annotations', 'instances_val.json')['images']
    scene = next(osp.join(toyworld, 'val', i['file_name']) for i in images
                 if i['id'] == item['image_id'])
    assert _same_bytes(item['img_path'], scene)
    caption = COCOCaption(data_root=toyworld, ann_file='annotations/coco_karpathy_val.json',
                          pipeline=[])
    # The caption metric matches int(image_id) with the ids of the COCO captions file.
    gt = {img['id']: img for img in _load(toyworld, 'annotations', 'captions_val.json')['images']}
    for item in caption:
        scene = osp.join(toyworld, gt[int(item['image_id'])]['coco_url'])
        assert _same_bytes(item['img_path'], scene) and len(item['gt_caption']) == 5
    retrieval = COCORetrieval(data_root=toyworld, ann_file='annotations/captions_val.json',
                              pipeline=[], test_mode=True)
    assert osp.isfile(retrieval[0]['img_path']) and len(retrieval[0]['text']) == 5
    nlvr2 = NLVR2(data_root=toyworld, ann_file='nlvr2/dev.json',
                  data_prefix='nlvr2/images/dev', pipeline=[])
    assert all(osp.isfile(p) for p in nlvr2[0]['img_path']) and nlvr2[0]['gt_label'] in (0, 1)
    root = osp.join(toyworld, 'imagenet')
    listed = CustomDataset(data_root=root, data_prefix='train', ann_file='meta/train.txt',
                           metainfo=dict(classes=CLASSES), pipeline=[])
    labels = {CLASSES[x['gt_label']] for x in listed}
    assert labels == set(CLASSES)
    assert all(f'/{CLASSES[x["gt_label"]]}/' in x['img_path'] for x in listed)
    scanned = CustomDataset(data_root=root, data_prefix='val', pipeline=[])
    assert len(scanned) == len(ImageNet(data_root=root, split='val', pipeline=[],
                                        metainfo=dict(classes=CLASSES)))


def _load_cli():
    path = osp.join(REPO, 'tools', 'dataset_converters', 'make_toyworld.py')
    spec = importlib.util.spec_from_file_location('make_toyworld', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_runs(tmp_path):
    # One real subprocess (importing mmdet makes each start take seconds).
    script = osp.join(REPO, 'tools', 'dataset_converters', 'make_toyworld.py')
    run = subprocess.run([sys.executable, script, '--out', str(tmp_path / 'cli'), '--num-images',
                          '8', '--num-videos', '1', '--num-frames', '2'],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert 'scenes 8/8' in run.stdout and osp.isfile(tmp_path / 'cli' / 'summary.json')
    # Another process (another str hash seed) writes the same bytes.
    generate_toyworld(str(tmp_path / 'here'), num_images=8, num_videos=1, num_frames=2)
    assert _digests(str(tmp_path / 'cli')) == _digests(str(tmp_path / 'here'))


@pytest.mark.parametrize('argv, flag', [
    (['--num-images', '0'], '--num-images'),
    (['--num-images', '8', '--val-fraction', '1.5'], '--val-fraction'),
    (['--num-images', '8', '--image-size', '32'], '--image-size'),
    (['--num-images', 'many'], '--num-images'),
])
def test_cli_rejects_bad_arguments(tmp_path, capsys, argv, flag):
    cli = _load_cli()
    with pytest.raises(SystemExit) as exit_info:
        cli.main(['--out', str(tmp_path / 'out')] + argv)
    assert exit_info.value.code != 0 and flag in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_cli_rejects_file_and_foreign_folder_as_out(tmp_path, capsys):
    cli = _load_cli()
    (tmp_path / 'plain').write_text('x')
    with pytest.raises(SystemExit) as exit_info:
        cli.main(['--out', str(tmp_path / 'plain'), '--num-images', '8'])
    assert exit_info.value.code != 0 and '--out' in capsys.readouterr().err
    (tmp_path / 'busy').mkdir()
    (tmp_path / 'busy' / 'notes.txt').write_text('x')
    assert cli.main(['--out', str(tmp_path / 'busy'), '--num-images', '8']) != 0
    assert '--out' in capsys.readouterr().err
