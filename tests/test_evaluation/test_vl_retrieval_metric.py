# Copyright (c) mmvl contributors. All rights reserved.
"""Retrieval Recall@K in both directions on a hand-made score matrix; NLVR2/SNLI-VE accuracy."""
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from mmvl.evaluation.metrics import VLRetrievalRecall, recall_at_k

# 3 images x 6 texts; texts 2i, 2i+1 describe image i
SCORES = torch.tensor([[0.9, 0.1, 0.8, 0.7, 0.2, 0.3],    # image 0: text 0 is best -> R@1
                       [0.5, 0.6, 0.1, 0.2, 0.9, 0.3],    # image 1: texts 2, 3 rank 5, 4 -> R@5
                       [0.4, 0.3, 0.2, 0.1, 0.6, 0.5]])   # image 2: text 4 best, 5 second -> R@1
TEXT_TO_IMAGE = [0, 0, 1, 1, 2, 2]


def test_recall_at_k_by_hand():
    hits = recall_at_k(SCORES, [[0, 1], [2, 3], [4, 5]], (1, 2, 5))
    assert hits[1].tolist() == [True, False, True]
    assert hits[2].tolist() == [True, False, True]
    assert hits[5].tolist() == [True, True, True]
    # text -> image: column t against images
    t2i = recall_at_k(SCORES.t(), [[i] for i in TEXT_TO_IMAGE], (1, 2))
    # 0-based rank of the true image (candidates scored higher): text 0 [.9,.5,.4] -> 0;
    # text 1 [.1,.6,.3] -> 2; text 2 [.8,.1,.2] -> 2; text 3 [.7,.2,.1] -> 1;
    # text 4 [.2,.9,.6] -> 1; text 5 [.3,.3,.5] -> 0
    assert t2i[1].tolist() == [True, False, False, False, False, True]
    assert t2i[2].tolist() == [True, False, False, True, True, True]


def test_metric_both_directions_as_mmpretrain_loop_calls_it():
    evaluator = Evaluator(VLRetrievalRecall(topk=(1, 5, 10)))
    i2t = [DataSample(pred_score=row, gt_label=torch.tensor([2 * i, 2 * i + 1]))
           for i, row in enumerate(SCORES)]
    evaluator.process(i2t, None)
    res = evaluator.evaluate(3)
    assert res['retrieval/Recall@1'] == pytest.approx(200 / 3)
    assert res['retrieval/Recall@5'] == pytest.approx(100)
    t2i = [DataSample(pred_score=SCORES[:, t], gt_label=TEXT_TO_IMAGE[t]) for t in range(6)]
    evaluator.process(t2i, None)
    res = evaluator.evaluate(6)
    assert res['retrieval/Recall@1'] == pytest.approx(100 * 2 / 6)
    assert res['retrieval/Recall@10'] == pytest.approx(100)


def test_ties_do_not_count_against_the_positive():
    hits = recall_at_k(torch.tensor([[1.0, 1.0, 1.0]]), [[2]], (1, ))
    assert hits[1].item()


def test_metric_errors():
    with pytest.raises(ValueError, match='topk'):
        VLRetrievalRecall(topk=(0, 1))
    with pytest.raises(KeyError, match='gt_label'):
        VLRetrievalRecall().process(None, [dict(pred_score=torch.zeros(3))])


def test_nlvr2_and_snli_ve_accuracy_with_mmpretrain_accuracy():
    """NLVR2 / SNLI-VE use mmpretrain's Accuracy on the heads' pred_score / gt_label."""
    from mmvl.models.multimodal import NLVR2PairHead
    head = NLVR2PairHead(4, 8, num_classes=3)
    f0, f1 = torch.randn(5, 4), torch.randn(5, 4)
    samples = [DataSample().set_gt_label(i % 3) for i in range(5)]
    head.predict(f0, f1, samples)
    evaluator = Evaluator(dict(type='mmpretrain.Accuracy', _scope_='mmpretrain', topk=1))
    evaluator.process(samples, None)
    acc = evaluator.evaluate(5)['accuracy/top1']
    expected = 100 * sum(int(s.pred_label) == int(s.gt_label) for s in samples) / 5
    assert acc == pytest.approx(expected)


def test_retrieval_test_loop_end_to_end(toyworld, tmp_path):
    """KarpathyRetrieval + VLDataPreprocessor + mmpretrain's RetrievalTestLoop + this metric,
    with a tiny single-stream model: R@K in both directions over the toy test split."""
    import os.path as osp
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmvl.testing import REPO_ROOT
    from mmvl.testing.vl import tiny_grid_encoder
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets/toyworld_retrieval.py'))
    cfg.default_scope = 'mmvl'
    cfg.model = dict(
        type='GridVLRetrieval', data_preprocessor=cfg.data_preprocessor,
        encoder=tiny_grid_encoder(),
        itm_head=dict(type='ITMHead'))
    cfg.test_dataloader.dataset.data_root = toyworld + '/'
    cfg.test_dataloader.persistent_workers = False
    cfg.test_dataloader.num_workers = 0
    cfg.work_dir = str(tmp_path)
    for key in ('train_dataloader', 'val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg.pop(key)
    cfg.default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
    metrics = Runner.from_cfg(cfg).test()
    for direction in ('i2t', 't2i'):
        recalls = [metrics[f'{direction}/retrieval/Recall@{k}'] for k in (1, 5, 10)]
        assert all(0 <= r <= 100 for r in recalls) and recalls == sorted(recalls)
    # 2 test images: every true image is within the top 2 of 2 (R@5 = R@10 = 100 for t2i)
    assert metrics['t2i/retrieval/Recall@5'] == 100
