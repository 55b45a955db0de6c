# Copyright (c) mmvl contributors. All rights reserved.
"""Hand-built cases with known answers for the open-world (OLN) metric."""
import contextlib
import io
import json

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmvl.evaluation import OpenWorldMetric
from mmvl.registry import METRICS

H = W = 200
CATEGORIES = ['person', 'dog', 'zebra', 'giraffe']  # seen: person, dog
SEEN = ['person', 'dog']


def _mask(box):
    """Binary (H, W) mask filling an xywh box with integer corners."""
    x, y, w, h = box
    m = np.zeros((H, W), dtype=np.uint8)
    m[y:y + h, x:x + w] = 1
    return m


def _rle(box):
    rle = mask_util.encode(np.asfortranarray(_mask(box)))
    rle['counts'] = rle['counts'].decode('utf-8')
    return rle


def _write_coco(tmp_path, gts, num_images=3):
    """gts: list of (img_id, category name, xywh box[, iscrowd])."""
    anns = []
    for i, gt in enumerate(gts):
        img_id, name, box = gt[:3]
        anns.append(dict(id=i + 1, image_id=img_id, category_id=CATEGORIES.index(name) + 1,
                         bbox=list(box), area=box[2] * box[3], segmentation=_rle(box),
                         iscrowd=gt[3] if len(gt) > 3 else 0))
    data = dict(images=[dict(id=i, height=H, width=W, file_name=f'{i}.jpg')
                        for i in range(1, num_images + 1)],
                categories=[dict(id=i + 1, name=n) for i, n in enumerate(CATEGORIES)],
                annotations=anns)
    path = tmp_path / 'instances.json'
    path.write_text(json.dumps(data))
    return str(path)


def _samples(preds, num_images=3):
    """preds: list of (img_id, xywh box, score) -> mmdet-style data samples."""
    samples = []
    for img_id in range(1, num_images + 1):
        mine = [p for p in preds if p[0] == img_id]
        boxes = [[x, y, x + w, y + h] for _, (x, y, w, h), _ in mine]
        samples.append(dict(img_id=img_id, pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor([s for *_, s in mine], dtype=torch.float32),
            masks=torch.from_numpy(np.stack([_mask(b) for _, b, _ in mine]).astype(bool)
                                   if mine else np.zeros((0, H, W), dtype=bool)))))
    return samples


def _run(ann_file, preds, num_images=3, **kwargs):
    kwargs.setdefault('metric', ['bbox', 'segm'])
    kwargs.setdefault('proposal_nums', (1, 10, 100))
    metric = OpenWorldMetric(ann_file=ann_file, **kwargs)
    metric.process({}, _samples(preds, num_images))
    return metric.evaluate(size=num_images)


def _pycocotools(ann_file, preds, iou_type):
    """Plain class-agnostic COCOeval (seen GTs count) with maxDets (1, 10, 100)."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(ann_file)
        res = []
        for img_id, box, score in preds:
            r = dict(image_id=img_id, category_id=1, score=score)
            if iou_type == 'bbox':
                r['bbox'] = list(box)
            else:
                r['segmentation'] = _rle(box)
            res.append(r)
        ev = COCOeval(gt, gt.loadRes(res), iou_type)
        ev.params.useCats = 0
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return dict(AP=ev.stats[0], AP50=ev.stats[1], **{'AR@1': ev.stats[6], 'AR@10': ev.stats[7],
                'AR@100': ev.stats[8], 'AR@100_s': ev.stats[9], 'AR@100_m': ev.stats[10],
                'AR@100_l': ev.stats[11]})


def test_perfect_unseen_prediction(tmp_path):
    gts = [(1, 'zebra', (10, 10, 50, 40)), (1, 'person', (100, 100, 60, 60)),
           (2, 'giraffe', (20, 20, 20, 20)), (2, 'zebra', (60, 60, 120, 120)),
           (2, 'dog', (5, 150, 30, 30)), (3, 'person', (0, 0, 100, 100))]
    ann_file = _write_coco(tmp_path, gts)
    # Unseen GTs exactly; seen objects also found, with higher scores (removed).
    preds = [(1, (10, 10, 50, 40), 0.5), (1, (100, 100, 60, 60), 0.9),
             (2, (20, 20, 20, 20), 0.4), (2, (60, 60, 120, 120), 0.3),
             (2, (5, 150, 30, 30), 0.95), (3, (0, 0, 100, 100), 0.8)]
    res = _run(ann_file, preds, seen_classes=SEEN)
    for m in ('bbox', 'segm'):
        # 3 unseen GTs; one detection per image finds image 1's and one of image 2's -> 2/3.
        assert res[f'open_world/{m}_AR@1'] == pytest.approx(2 / 3)
        for key in ('AR@10', 'AR@100', 'AR@100_s', 'AR@100_m', 'AR@100_l', 'AP',
                    'AP50'):
            assert res[f'open_world/{m}_{key}'] == pytest.approx(1.0), (m, key)


def _budget_case(tmp_path):
    gts = [(1, 'zebra', (10, 10, 40, 40)), (1, 'person', (60, 10, 40, 40)),
           (1, 'person', (110, 10, 40, 40)), (1, 'dog', (10, 100, 40, 40))]
    preds = [(1, (60, 10, 40, 40), 0.9), (1, (110, 10, 40, 40), 0.8),
             (1, (10, 100, 40, 40), 0.7), (1, (10, 10, 40, 40), 0.5)]
    return _write_coco(tmp_path, gts, num_images=1), preds


def test_seen_matched_detections_do_not_use_budget(tmp_path):
    ann_file, preds = _budget_case(tmp_path)
    res = _run(ann_file, preds, num_images=1, seen_classes=SEEN)
    for m in ('bbox', 'segm'):
        # The 3 higher-scored seen detections are removed: the unseen one is top-1.
        assert res[f'open_world/{m}_AR@1'] == pytest.approx(1.0)
        assert res[f'open_world/{m}_AP'] == pytest.approx(1.0)

    # Without seen classes every GT counts: top-1 finds 1 of 4 objects -> 0.25, as pycocotools.
    res = _run(ann_file, preds, num_images=1, seen_classes=[])
    for m in ('bbox', 'segm'):
        ref = _pycocotools(ann_file, preds, m)
        assert res[f'open_world/{m}_AR@1'] == pytest.approx(0.25) == ref['AR@1']
        assert res[f'open_world/{m}_AR@10'] == pytest.approx(1.0) == ref['AR@10']


def test_missing_seen_gts_costs_nothing(tmp_path):
    gts = [(1, 'zebra', (10, 10, 40, 40)), (1, 'person', (60, 10, 40, 40)),
           (1, 'dog', (110, 10, 40, 40))]
    ann_file = _write_coco(tmp_path, gts, num_images=1)
    preds = [(1, (10, 10, 40, 40), 0.5)]
    res = _run(ann_file, preds, num_images=1, seen_classes=SEEN)
    for m in ('bbox', 'segm'):
        assert res[f'open_world/{m}_AR@100'] == pytest.approx(1.0)
        assert res[f'open_world/{m}_AP'] == pytest.approx(1.0)
    res = _run(ann_file, preds, num_images=1, seen_classes=[])
    assert res['open_world/bbox_AR@100'] == pytest.approx(1 / 3)


def test_partial_overlap_passes_two_of_ten_thresholds(tmp_path):
    # IoU = 58 * 100 / (100 * 100) = 0.58 (0.6 itself would sit on a float threshold):
    # passes 0.50 and 0.55 -> AR = 2 / 10.
    ann_file = _write_coco(tmp_path, [(1, 'zebra', (0, 0, 100, 100))], num_images=1)
    preds = [(1, (0, 0, 100, 58), 0.9)]
    res = _run(ann_file, preds, num_images=1, seen_classes=SEEN)
    for m in ('bbox', 'segm'):
        ref = _pycocotools(ann_file, preds, m)
        assert res[f'open_world/{m}_AR@100'] == pytest.approx(0.2) == ref['AR@100']
        assert res[f'open_world/{m}_AP'] == pytest.approx(ref['AP'])
        assert res[f'open_world/{m}_AP50'] == pytest.approx(1.0)


def test_agrees_with_pycocotools_without_seen_classes(tmp_path):
    rng = np.random.default_rng(0)
    gts, preds = [], []
    for img_id in (1, 2, 3):
        for _ in range(5):
            w, h = (int(v) for v in rng.integers(8, 120, size=2))
            x, y = int(rng.integers(0, W - w)), int(rng.integers(0, H - h))
            gts.append((img_id, CATEGORIES[int(rng.integers(4))], (x, y, w, h)))
            dx, dy, dw, dh = (int(v) for v in rng.integers(-6, 7, size=4))
            box = (max(x + dx, 0), max(y + dy, 0), max(w + dw, 2), max(h + dh, 2))
            preds.append((img_id, box, float(rng.random())))
        for _ in range(6):  # background detections
            w, h = (int(v) for v in rng.integers(8, 60, size=2))
            preds.append((img_id, (int(rng.integers(0, W - w)), int(rng.integers(0, H - h)),
                                   w, h), float(rng.random())))
    gts.append((3, 'zebra', (0, 150, 200, 50), 1))  # a crowd region
    ann_file = _write_coco(tmp_path, gts)
    res = _run(ann_file, preds, seen_classes=[])
    for m in ('bbox', 'segm'):
        ref = _pycocotools(ann_file, preds, m)
        for key, value in ref.items():
            assert res[f'open_world/{m}_{key}'] == pytest.approx(value, abs=1e-12), (m, key)


def test_default_budgets_capped_by_predictions(tmp_path):
    ann_file, preds = _budget_case(tmp_path)
    res = _run(ann_file, preds, num_images=1, seen_classes=SEEN, metric='bbox',
               proposal_nums=None)
    assert sorted(res) == sorted(f'open_world/bbox_{k}' for k in
                                 ('AR@10', 'AR@10_s', 'AR@10_m', 'AR@10_l', 'AP', 'AP50'))


def test_argument_errors(tmp_path):
    ann_file = _write_coco(tmp_path, [(1, 'zebra', (0, 0, 10, 10))], num_images=1)
    with pytest.raises(ValueError, match="'cat'.*giraffe"):
        OpenWorldMetric(ann_file, seen_classes=['person', 'cat'])
    with pytest.raises(ValueError, match='bbox'):
        OpenWorldMetric(ann_file, metric='proposal')
    with pytest.raises(TypeError, match='sequence'):
        OpenWorldMetric(ann_file, seen_classes='person')
    metric = METRICS.build(dict(type='OpenWorldMetric', ann_file=ann_file,
                                seen_classes=['person']))
    assert metric.seen_cat_ids == {1}


def test_detection_on_seen_and_unseen_object_is_kept(tmp_path):
    # A person (seen) box and a zebra (unseen) box overlap; the detection equals the zebra
    # (IoU 1.0) and has IoU 0.64 with the person: it is a hit, not removed.
    gts = [(1, 'zebra', (0, 0, 100, 100)), (1, 'person', (0, 0, 100, 64))]
    ann_file = _write_coco(tmp_path, gts, num_images=1)
    res = _run(ann_file, [(1, (0, 0, 100, 100), 0.9)], num_images=1, seen_classes=SEEN)
    assert res['open_world/bbox_AR@1'] == pytest.approx(1.0)


def test_no_detections(tmp_path):
    ann_file = _write_coco(tmp_path, [(1, 'zebra', (0, 0, 10, 10))], num_images=1)
    res = _run(ann_file, [], num_images=1, seen_classes=SEEN)
    assert res['open_world/bbox_AR@100'] == 0.0
    assert res['open_world/segm_AP'] == 0.0
