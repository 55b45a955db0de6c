"""The real-data dataset configs of the open-world benchmarks (OLN / GGN / LDET / SWORD).

configs/_base_/datasets/coco_voc2nonvoc_instance.py, coco2uvo_instance.py,
coco2lvis_instance.py and coco2objects365_instance.py: they load, their class lists match the
vocabularies they are taken from, and the VOC -> non-VOC training set and evaluators work on a
tiny COCO-format json written here (no real data needed).
"""
import copy
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmdet.datasets import CocoDataset as MMDetCocoDataset
from mmdet.datasets import LVISV1Dataset, Objects365V2Dataset
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope

from mmvl.registry import DATA_SAMPLERS, DATASETS, METRICS
from mmvl.testing import REPO_ROOT

DATASET_DIR = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets')
CONFIGS = ('coco_voc2nonvoc_instance', 'coco2uvo_instance', 'coco2lvis_instance',
           'coco2objects365_instance')
OLN_BUDGETS = (10, 20, 30, 50, 100, 300, 500, 1000, 1500)
COCO_CLASSES = tuple(MMDetCocoDataset.METAINFO['classes'])


def load(name: str) -> Config:
    return Config.fromfile(osp.join(DATASET_DIR, name + '.py'))


def evaluators(cfg: Config) -> list:
    ev = cfg.val_evaluator
    return list(ev) if isinstance(ev, (list, tuple)) else [ev]


@pytest.mark.parametrize('name', CONFIGS)
def test_config_loads(name):
    cfg = load(name)
    assert tuple(cfg.COCO_CLASSES) == COCO_CLASSES
    assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.test_evaluator == cfg.val_evaluator
    train = cfg.train_dataloader.dataset
    assert train.type == 'CocoDataset' and train.data_root == 'data/coco/'
    assert train.ann_file == 'annotations/instances_train2017.json'
    assert train.filter_cfg == dict(filter_empty_gt=True, min_size=32)
    assert cfg.val_dataloader.dataset.test_mode
    # DINO's multi-scale recipe, with masks and the negative crop allowed
    pipeline = train.pipeline
    assert pipeline[1] == dict(
        type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True)
    crop = pipeline[3].transforms[1][1]
    assert crop.type == 'mmdet.RandomCrop' and crop.allow_negative_crop
    for ev in evaluators(cfg):
        assert ev.type == 'OpenWorldMetric'
        assert tuple(ev.proposal_nums) == OLN_BUDGETS
    init_default_scope('mmvl')
    assert DATA_SAMPLERS.get(cfg.train_dataloader.batch_sampler.type) is not None
    for ds in (train, cfg.val_dataloader.dataset):
        assert DATASETS.get(ds.type) is not None


def test_voc_classes_are_the_20_voc_classes_in_coco_order():
    cfg = load('coco_voc2nonvoc_instance')
    voc = tuple(cfg.VOC_CLASSES)
    assert len(voc) == len(set(voc)) == 20
    assert set(voc) <= set(COCO_CLASSES)
    # mmdet numbers labels in category-id order: this order makes label i == VOC_CLASSES[i]
    assert voc == tuple(c for c in COCO_CLASSES if c in voc)
    assert len(cfg.VOC_PALETTE) == 20
    assert tuple(cfg.train_dataloader.dataset.metainfo.classes) == voc
    assert tuple(cfg.val_dataloader.dataset.metainfo.classes) == COCO_CLASSES
    (ev, ) = evaluators(cfg)
    assert tuple(ev.seen_classes) == voc
    assert set(ev.metric) == {'bbox', 'segm'}
    assert ev.ann_file == 'data/coco/annotations/instances_val2017.json'


def test_uvo_has_only_the_all_evaluator():
    cfg = load('coco2uvo_instance')
    (ev, ) = evaluators(cfg)
    assert tuple(ev.seen_classes) == () and ev.prefix == 'all'
    assert set(ev.metric) == {'bbox', 'segm'}
    assert ev.ann_file == osp.join(cfg.uvo_root, cfg.val_dataloader.dataset.ann_file)


def test_lvis_coco_classes_are_lvis_v1_names():
    cfg = load('coco2lvis_instance')
    seen = tuple(cfg.LVIS_COCO_CLASSES)
    # 80 COCO classes minus 'hot dog', whose synset frank.n.02 is no LVIS v1 category
    assert len(seen) == len(set(seen)) == 79
    assert set(seen) <= set(LVISV1Dataset.METAINFO['classes'])
    assert cfg.val_dataloader.dataset.type == 'mmdet.LVISV1Dataset'
    all_ev, novel_ev = evaluators(cfg)
    assert (all_ev.prefix, novel_ev.prefix) == ('all', 'novel')
    assert tuple(all_ev.seen_classes) == () and tuple(novel_ev.seen_classes) == seen
    assert all_ev.ann_file == novel_ev.ann_file == 'data/coco/annotations/lvis_v1_val.json'


def test_objects365_coco_classes_are_objects365_v2_names():
    cfg = load('coco2objects365_instance')
    seen = tuple(cfg.OBJ365_COCO_CLASSES)
    assert len(seen) == len(set(seen)) == 80  # LDET's list
    assert set(seen) <= set(Objects365V2Dataset.METAINFO['classes'])
    assert cfg.val_dataloader.dataset.type == 'mmdet.Objects365V2Dataset'
    assert not any(t.get('with_mask') for t in cfg.val_dataloader.dataset.pipeline)
    all_ev, novel_ev = evaluators(cfg)
    assert (all_ev.prefix, novel_ev.prefix) == ('all', 'novel')
    assert all_ev.metric == novel_ev.metric == 'bbox'  # Objects365 has no masks
    assert tuple(all_ev.seen_classes) == () and tuple(novel_ev.seen_classes) == seen


# ----------------------------------------------------------------- tiny COCO-format data
def _box_ann(ann_id, img_id, cat_id, x, y, w, h):
    return dict(id=ann_id, image_id=img_id, category_id=cat_id, bbox=[x, y, w, h], area=w * h,
                iscrowd=0, segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]])


@pytest.fixture
def tiny_coco(tmp_path):
    """3 images of 64 x 48: VOC + non-VOC, non-VOC only, VOC + non-VOC; all 80 categories."""
    cat_id = {name: i + 1 for i, name in enumerate(COCO_CLASSES)}
    img_dir = tmp_path / 'val2017'
    img_dir.mkdir()
    rng = np.random.default_rng(0)
    images = []
    for i in (1, 2, 3):
        name = f'{i:012d}.png'
        cv2.imwrite(str(img_dir / name), rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
        images.append(dict(id=i, file_name=name, width=64, height=48))
    anns = [
        _box_ann(1, 1, cat_id['person'], 4, 4, 20, 30),
        _box_ann(2, 1, cat_id['truck'], 30, 10, 25, 20),
        _box_ann(3, 2, cat_id['truck'], 10, 10, 30, 20),
        _box_ann(4, 3, cat_id['cat'], 2, 2, 24, 24),
        _box_ann(5, 3, cat_id['umbrella'], 34, 8, 20, 30),
    ]
    (tmp_path / 'annotations').mkdir()
    ann_file = tmp_path / 'annotations' / 'instances.json'
    ann_file.write_text(json.dumps(dict(
        images=images, annotations=anns,
        categories=[dict(id=i, name=n) for n, i in cat_id.items()])))
    return str(tmp_path), str(ann_file)


def test_voc_training_set_keeps_only_voc_annotations(tiny_coco):
    root, ann_file = tiny_coco
    cfg = load('coco_voc2nonvoc_instance')
    ds_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    ds_cfg.update(data_root=root, ann_file=ann_file, data_prefix=dict(img='val2017/'))
    init_default_scope('mmvl')
    dataset = DATASETS.build(ds_cfg)
    voc = tuple(cfg.VOC_CLASSES)
    assert dataset.metainfo['classes'] == voc
    # image 2 (a truck only) has no VOC object left and is filtered out
    infos = {dataset.get_data_info(i)['img_id']: dataset.get_data_info(i)
             for i in range(len(dataset))}
    assert sorted(infos) == [1, 3]
    assert [inst['bbox_label'] for inst in infos[1]['instances']] == [voc.index('person')]
    assert [inst['bbox_label'] for inst in infos[3]['instances']] == [voc.index('cat')]
    assert infos[3]['instances'][0]['bbox'] == [2, 2, 26, 26]
    # the multi-scale pipeline carries boxes and masks through resize / crop together
    for i in range(len(dataset)):
        packed = dataset[i]
        gt = packed['data_samples'].gt_instances
        img_h, img_w = packed['inputs'].shape[-2:]
        assert len(gt.masks) == len(gt.bboxes) == len(gt.labels)
        assert (gt.masks.height, gt.masks.width) == (img_h, img_w)
        assert min(img_h, img_w) >= 384  # resized up from 48 x 64


def test_voc_metric_accepts_the_seen_list(tiny_coco):
    _, ann_file = tiny_coco
    cfg = load('coco_voc2nonvoc_instance')
    ev_cfg = copy.deepcopy(cfg.val_evaluator)
    ev_cfg.update(ann_file=ann_file, proposal_nums=(1, 10))
    init_default_scope('mmvl')
    metric = METRICS.build(ev_cfg)
    assert len(metric.seen_cat_ids) == 20
    boxes = {1: [[4., 4., 24., 34.], [30., 10., 55., 30.]],  # person (seen), truck
             2: [[10., 10., 40., 30.]],  # truck
             3: [[2., 2., 26., 26.], [34., 8., 54., 38.]]}  # cat (seen), umbrella
    samples = []
    for img_id, bxs in boxes.items():
        masks = np.zeros((len(bxs), 48, 64), dtype=bool)
        for m, (x1, y1, x2, y2) in zip(masks, bxs):
            m[int(y1):int(y2), int(x1):int(x2)] = True
        # the seen object scores highest: removed, it must not use up the budget of 1
        samples.append(dict(img_id=img_id, pred_instances=dict(
            bboxes=torch.tensor(bxs), scores=torch.linspace(0.9, 0.5, len(bxs)),
            masks=masks)))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['open_world/bbox_AR@1'] == pytest.approx(1.0)
    assert res['open_world/segm_AR@1'] == pytest.approx(1.0)


def test_all_and_novel_evaluators_build_together(tmp_path):
    """A list of two OpenWorldMetrics with prefixes 'all' / 'novel' (Objects365 config)."""
    cfg = load('coco2objects365_instance')
    names = Objects365V2Dataset.METAINFO['classes']
    cat_id = {n: i + 1 for i, n in enumerate(names)}
    anns = [_box_ann(1, 1, cat_id['Person'], 4, 4, 20, 30),  # a COCO class: seen
            _box_ann(2, 1, cat_id['Lamp'], 30, 10, 25, 20)]  # not a COCO class: novel
    ann_file = tmp_path / 'obj365.json'
    ann_file.write_text(json.dumps(dict(
        images=[dict(id=1, file_name='images/v1/patch0/a.jpg', width=64, height=48)],
        annotations=anns, categories=[dict(id=i, name=n) for n, i in cat_id.items()])))
    metric_cfgs = []
    for ev in evaluators(cfg):
        ev = copy.deepcopy(ev)
        ev.update(ann_file=str(ann_file), proposal_nums=(1, 10))
        metric_cfgs.append(ev)
    init_default_scope('mmvl')
    evaluator = Evaluator(metric_cfgs)
    # the person box scores highest
    evaluator.process([dict(img_id=1, pred_instances=dict(
        bboxes=torch.tensor([[4., 4., 24., 34.], [30., 10., 55., 30.]]),
        scores=torch.tensor([0.9, 0.8])))])
    res = evaluator.evaluate(1)
    assert res['all/bbox_AR@10'] == pytest.approx(1.0)
    assert res['all/bbox_AR@1'] == pytest.approx(0.5)  # the lamp is past the budget of 1
    assert res['novel/bbox_AR@1'] == pytest.approx(1.0)  # the person is out of the budget


def test_lvis_json_without_iscrowd(tmp_path):
    cfg = load('coco2lvis_instance')
    seen = tuple(cfg.LVIS_COCO_CLASSES)
    names = seen + ('aerosol_can', )
    anns = [_box_ann(1, 1, 1, 4, 4, 20, 30), _box_ann(2, 1, len(names), 30, 10, 25, 20)]
    for ann in anns:
        del ann['iscrowd']
    ann_file = tmp_path / 'lvis.json'
    ann_file.write_text(json.dumps(dict(
        images=[dict(id=1, width=64, height=48, neg_category_ids=[],
                     not_exhaustive_category_ids=[],
                     coco_url='http://images.cocodataset.org/val2017/000000000001.jpg')],
        annotations=anns, categories=[dict(id=i + 1, name=n) for i, n in enumerate(names)])))
    ev = copy.deepcopy(evaluators(cfg)[1])
    ev.update(ann_file=str(ann_file), proposal_nums=(10, ), metric='bbox')
    init_default_scope('mmvl')
    metric = METRICS.build(ev)  # loading works: the names match
    metric.process({}, [dict(img_id=1, pred_instances=dict(
        bboxes=torch.tensor([[30., 10., 55., 30.]]), scores=torch.tensor([0.9])))])
    res = metric.evaluate(1)
    # the LVIS-only object is found; the COCO-class one is ignored
    assert res['novel/bbox_AR@10'] == pytest.approx(1.0)
