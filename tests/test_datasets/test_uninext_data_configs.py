# Copyright (c) mmvl contributors. All rights reserved.
"""UNINEXT's joint detection + referring data configs keep the contract with the model.

Every packed sample carries ``task`` and ``text`` in its metainfo: detection, a tuple of class
names that the gt labels index into; grounding, one expression and one gt (label 0). Every
train batch holds one task. Uses the session fixture ``toyworld`` (24 images).
"""
import copy
import itertools
import json
import os.path as osp
import pickle
import re

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from mmvl.datasets import CocoDataset, RefCOCODataset
from mmvl.datasets.toyworld import CLASSES
from mmvl.registry import EVALUATOR
from mmvl.testing import REPO_ROOT, get_toyworld_config
from mmvl.utils import register_all_modules

TOY = '_base_/datasets/toyworld_det_ref_joint.py'
PAPER = '_base_/datasets/coco_refcoco-mixed_uninext.py'


def _loader_cfg(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.update(num_workers=0, persistent_workers=False)
    return cfg


def _unswap(text):
    return re.sub(r'\b(left|right)\b', lambda m: dict(left='right', right='left')[m.group(0)],
                  text)


def test_classes_and_batch_sizes():
    from mmdet.datasets import CocoDataset as MMDetCocoDataset
    toy = Config.fromfile(osp.join(REPO_ROOT, 'configs', TOY))
    paper = Config.fromfile(osp.join(REPO_ROOT, 'configs', PAPER))
    assert tuple(toy.classes) == tuple(CLASSES)
    assert tuple(paper.COCO_CLASSES) == tuple(MMDetCocoDataset.METAINFO['classes'])
    for cfg in (toy, paper):  # the sampler cannot see the loader's batch size
        assert cfg.train_dataloader.sampler.batch_size == cfg.train_dataloader.batch_size
        assert len(cfg.train_dataloader.sampler.source_ratio) == len(
            cfg.train_dataloader.dataset.datasets)


def test_toy_train_batches_keep_the_contract(toyworld):
    register_all_modules()
    cfg = get_toyworld_config(TOY, toyworld)
    loader_cfg = _loader_cfg(cfg.train_dataloader)
    loader_cfg.sampler.seed = 0
    loader = Runner.build_dataloader(loader_cfg)
    with open(osp.join(toyworld, 'annotations', 'instances_train.json')) as f:
        coco = json.load(f)
    names = {c['id']: c['name'] for c in coco['categories']}
    image_classes = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        image_classes[ann['image_id']].append(names[ann['category_id']])
    with open(osp.join(toyworld, 'refcoco', 'refs(unc).p'), 'rb') as f:
        sentences = {s['sent'] for r in pickle.load(f) for s in r['sentences']}

    tasks = set()
    for batch in itertools.islice(loader, 10):
        samples = batch['data_samples']
        assert len(samples) == cfg.train_dataloader.batch_size
        task = samples[0].task
        assert all(s.task == task for s in samples)
        tasks.add(task)
        for img, s in zip(batch['inputs'], samples):
            gt = s.gt_instances
            assert (gt.masks.height, gt.masks.width) == tuple(img.shape[1:])
            if task == 'detection':
                assert isinstance(s.text, tuple) and sorted(s.text) == sorted(CLASSES)
                assert sorted(s.text[i] for i in gt.labels) == sorted(image_classes[s.img_id])
            else:
                assert isinstance(s.text, str) and gt.labels.tolist() == [0]
                assert (_unswap(s.text) if s.flip else s.text) in sentences
    assert tasks == {'detection', 'grounding'}


def test_toy_val_scores_perfect_predictions(toyworld):
    register_all_modules()
    cfg = get_toyworld_config(TOY, toyworld)
    loader = Runner.build_dataloader(_loader_cfg(cfg.val_dataloader))
    evaluator = EVALUATOR.build(cfg.val_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo  # as mmengine's ValLoop does
    for batch in loader:
        for s in batch['data_samples']:
            if s.task == 'grounding':
                assert isinstance(s.text, str) and len(s.gt_instances) == 1
            else:
                assert s.text == tuple(CLASSES)
            pred = InstanceData(bboxes=s.gt_instances.bboxes.tensor, labels=s.gt_instances.labels,
                                scores=torch.ones(len(s.gt_instances)),
                                masks=torch.from_numpy(s.gt_instances.masks.to_ndarray()).bool())
            s.pred_instances = pred
        evaluator.process(batch['data_samples'], batch)
    result = evaluator.evaluate(len(loader.dataset))
    assert result['det/coco/bbox_mAP'] == 1.0 and result['det/coco/segm_mAP'] == 1.0
    for key in ('prec@0.5', 'oiou', 'miou'):
        assert result[f'ref/refer/{key}'] == 100.0


def test_paper_train_pipelines_run(toyworld):
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', PAPER))
    ref = RefCOCODataset(data_root=toyworld, ann_file='refcoco/instances.json',
                         split_file='refcoco/refs(unc).p', pipeline=cfg.ref_train_pipeline)
    det_pipeline = copy.deepcopy(cfg.det_train_pipeline)
    det_pipeline[-2]['classes'] = CLASSES  # CategoryPrompt with the toy classes
    det = CocoDataset(data_root=toyworld, ann_file='annotations/instances_train.json',
                      data_prefix=dict(img='train/'), metainfo=dict(classes=CLASSES),
                      pipeline=det_pipeline)
    for i in range(3):
        s = ref[i]['data_samples']
        assert s.task == 'grounding' and isinstance(s.text, str) and len(s.gt_instances) == 1
        assert min(s.img_shape) >= 384  # resized up to the paper's scales
        s = det[i]['data_samples']
        assert s.task == 'detection' and all(s.text[k] in CLASSES for k in s.gt_instances.labels)
