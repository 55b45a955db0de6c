# Copyright (c) mmvl contributors. All rights reserved.
"""Mixup / CutMix on video clips in ``VideoRecognizer`` (VideoMAE's fine-tuning recipe):
mmpretrain's batch augments through ``train_cfg``, the same CutMix box in every frame, soft
labels mixed with the same lambda and trained on with label smoothing."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmvl.registry import MODELS
from mmvl.testing import get_config_path

FINETUNE = get_config_path('cmae_v/benchmarks/vit-toy-p8_1xb16-300it_toyworld-actions.py')
PERM = [2, 0, 3, 1]  # a derangement: no clip is mixed with itself


def _recognizer(augments=None):
    init_default_scope('mmvl')
    cfg = Config.fromfile(FINETUNE)
    cfg.model.backbone.init_cfg = None
    if augments is not None:
        cfg.model.train_cfg = dict(augments=augments)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _batch(batch=4, frames=8, size=64):
    gen = torch.Generator().manual_seed(0)
    clips = torch.randint(0, 256, (batch, 1, 3, frames, size, size), generator=gen,
                          dtype=torch.uint8)
    samples = [DataSample().set_gt_label(i) for i in range(batch)]  # labels 0..3
    return dict(inputs=clips, data_samples=samples)


@pytest.fixture
def fixed_draw(monkeypatch):
    """Fix mmpretrain's draws: lambda from the Beta distribution and the batch permutation."""
    drawn = dict(lam=0.3)
    monkeypatch.setattr(np.random, 'beta', lambda a, b: drawn['lam'])
    monkeypatch.setattr(torch, 'randperm', lambda n: torch.tensor(PERM))
    return drawn


def test_mixup_is_the_convex_combination_of_clips_and_labels(fixed_draw):
    model = _recognizer([dict(type='Mixup', alpha=0.8)])
    preprocessor = model.data_preprocessor
    assert preprocessor.num_classes == 8  # from the head
    plain = preprocessor(_batch(), training=False)
    assert 'gt_score' not in plain['data_samples'][0]  # no mixing outside training
    x = plain['inputs']
    out = preprocessor(_batch(), training=True)
    lam = fixed_draw['lam']
    assert torch.allclose(out['inputs'], lam * x + (1 - lam) * x[PERM], atol=1e-5)
    scores = torch.stack([s.gt_score for s in out['data_samples']])
    onehot = F.one_hot(torch.arange(4), 8).float()
    assert torch.allclose(scores, lam * onehot + (1 - lam) * onehot[PERM])
    assert torch.allclose(scores.sum(1), torch.ones(4))


def test_cutmix_cuts_the_same_box_in_every_frame(fixed_draw):
    model = _recognizer([dict(type='CutMix', alpha=1.0)])
    preprocessor = model.data_preprocessor
    for seed in range(4):
        np.random.seed(seed)  # the box centre
        x = preprocessor(_batch(), training=False)['inputs']
        out = preprocessor(_batch(), training=True)
        mixed = out['inputs']
        changed = (mixed != x).any(dim=2)  # B x V x T x H x W, over channels
        box = changed[0, 0, 0]
        assert box.any()
        rows, cols = torch.nonzero(box, as_tuple=True)
        rect = torch.zeros_like(box)
        rect[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = True
        assert torch.equal(box, rect)  # a rectangle
        assert (changed == box).all()  # the same one in every clip, frame and channel
        # inside the box the permuted clip, outside the clip itself
        assert torch.equal(mixed[..., box], x[PERM][..., box])
        assert torch.equal(mixed[..., ~box], x[..., ~box])
        scores = torch.stack([s.gt_score for s in out['data_samples']])
        lam = 1 - box.float().mean()  # lambda corrected to the box area
        assert torch.allclose(scores[torch.arange(4), torch.arange(4)], lam.expand(4))
        assert torch.allclose(scores[torch.arange(4), torch.tensor(PERM)], (1 - lam).expand(4))
        assert torch.allclose(scores.sum(1), torch.ones(4))


def test_one_of_mixup_and_cutmix_per_batch():
    model = _recognizer([dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)])
    preprocessor = model.data_preprocessor
    x = preprocessor(_batch(), training=False)['inputs']
    kinds = set()
    for seed in range(12):
        np.random.seed(seed)
        torch.manual_seed(seed)
        mixed = preprocessor(_batch(), training=True)['inputs']
        changed = (mixed != x)
        # CutMix copies values unchanged, Mixup changes (almost) every value
        kinds.add('mixup' if changed.float().mean() > 0.99 else 'cutmix')
    assert kinds == {'mixup', 'cutmix'}


def test_soft_label_loss_is_smoothed_cross_entropy_and_trains(fixed_draw):
    model = _recognizer([dict(type='Mixup', alpha=0.8)])
    data = model.data_preprocessor(_batch(), training=True)
    model.eval()  # drop path off, so the hand computation sees the same logits
    torch.nn.init.normal_(model.head.fc.weight, std=1.0)  # logits far from uniform
    losses = model.loss(data['inputs'], data['data_samples'])
    logits = model.head(model.extract_feat(data['inputs']))
    scores = torch.stack([s.gt_score for s in data['data_samples']])
    target = 0.9 * scores + 0.1 / 8  # label smoothing 0.1 (original mode) of the soft label
    expected = -(target * logits.log_softmax(-1)).sum(-1).mean()
    assert torch.allclose(losses['loss'], expected, atol=1e-5)
    # not the loss of the unmixed labels
    hard = -(0.9 * F.one_hot(torch.arange(4), 8) + 0.1 / 8) * logits.log_softmax(-1)
    assert not torch.allclose(losses['loss'], hard.sum(-1).mean(), atol=1e-5)
    losses['loss'].backward()
    assert model.head.fc.weight.grad.abs().sum() > 0
    assert model.backbone.patch_embed.weight.grad.abs().sum() > 0


def test_batch_augment_settings_are_checked():
    init_default_scope('mmvl')
    cfg = Config.fromfile(FINETUNE)
    cfg.model.backbone.init_cfg = None
    cfg.model.train_cfg = dict(augments=[dict(type='Mixup', alpha=0.8)])
    cfg.model.data_preprocessor.batch_augments = dict(augments=[dict(type='Mixup', alpha=0.8)])
    with pytest.raises(ValueError, match='once'):
        MODELS.build(cfg.model)
    with pytest.raises(ValueError, match='need num_classes'):
        MODELS.build(dict(type='VideoDataPreprocessor',
                          batch_augments=dict(augments=[dict(type='Mixup', alpha=0.8)])))


def test_the_augment_config_is_not_edited():
    """mmpretrain's RandomBatchAugment appends to ``probs``; the config must not change."""
    init_default_scope('mmvl')
    cfg = dict(type='VideoDataPreprocessor', num_classes=4,
               batch_augments=dict(augments=[dict(type='Mixup', alpha=0.8),
                                             dict(type='CutMix', alpha=1.0)], probs=[0.5, 0.5]))
    for _ in range(2):
        preprocessor = MODELS.build(cfg)
    assert cfg['batch_augments']['probs'] == [0.5, 0.5]
    assert preprocessor.batch_augments.probs == [0.5, 0.5, 0.0]
