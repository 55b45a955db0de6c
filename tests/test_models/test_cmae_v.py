# Copyright (c) mmvl contributors. All rights reserved.
"""CMAE-V = mmvl's CMAE with the video encoder, decoders and pixel head (toy config), the
VideoMAE baseline built from the same parts, and the multi-view video recognizer."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvl.registry import METRICS, MODELS
from mmvl.testing import get_config_path

CMAE_V = get_config_path('cmae_v/cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py')
VIDEOMAE = get_config_path('cmae_v/videomae_vit-toy-p8_1xb32-400it_toyworld-actions.py')
HYBRID = get_config_path('cmae_v/cmae-v_convvit-toy-p8_1xb32-400it_toyworld-actions.py')
FINETUNE = get_config_path('cmae_v/benchmarks/vit-toy-p8_1xb16-300it_toyworld-actions.py')


def _build(path, **backbone):
    init_default_scope('mmvl')
    cfg = Config.fromfile(path)
    for key in ('backbone', 'target_backbone'):
        if key in cfg.model:
            cfg.model[key].update(backbone)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _pair(batch=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    online = torch.randn(batch, 3, 8, 64, 64, generator=gen)
    return online, online.roll(1, dims=2) + 0.1 * torch.randn(online.shape, generator=gen)


@pytest.fixture(scope='module')
def cmae_v():
    return _build(CMAE_V)


def test_cmae_v_losses_use_the_right_clip(cmae_v):
    model = copy.deepcopy(cmae_v)
    model.target_update = 'in_loss'  # no hook in a bare test
    model.eval()  # BN statistics frozen: losses depend only on the inputs
    online, target = _pair()
    noise = torch.rand(4, 64)
    model.backbone.draw_noise = lambda b, device: noise[:b]
    first = model.loss([online, target])
    assert set(first) == {'loss_rc', 'loss_ct', 'momentum'}
    other_target = model.loss([online, torch.randn_like(target)])
    # reconstruction reads only the online clip; the contrast compares with the target clip
    assert torch.equal(other_target['loss_rc'], first['loss_rc'])
    assert not torch.equal(other_target['loss_ct'], first['loss_ct'])
    with pytest.raises(ValueError, match='online_view, target_view'):
        model.loss(online)


def test_gradients_reach_the_online_branch_only(cmae_v):
    model = copy.deepcopy(cmae_v)
    model.target_update = 'in_loss'
    model.train()
    losses = model.loss(list(_pair()))
    (losses['loss_rc'] + losses['loss_ct']).backward()
    assert all(p.grad is None for p in model.target.parameters())
    assert model.backbone.patch_embed.weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.projector.parameters())
    # the contrastive loss alone trains the encoder too (through the feature decoder)
    model.zero_grad()
    model.loss(list(_pair()))['loss_ct'].backward()
    assert model.backbone.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert model.pixel_decoder.decoder_pred.weight.grad is None


def test_target_moves_by_the_ema_formula(cmae_v):
    model = copy.deepcopy(cmae_v)
    with torch.no_grad():
        for p in model.backbone.parameters():
            p.add_(0.01)
    before = model.target.module.backbone.patch_embed.weight.clone()
    online = model.backbone.patch_embed.weight.clone()
    model.update_target()
    expected = 0.996 * before + 0.004 * online
    assert torch.allclose(model.target.module.backbone.patch_embed.weight, expected, atol=1e-7)
    # the target encoder sees every token (no mask) and has no final norm
    assert model.target.module.backbone.mask_ratio == 0
    assert not hasattr(model.target.module.backbone, 'ln1')


def test_toy_projector_and_predictor_use_bn1d(cmae_v):
    """As in the image toy config: BN1d with eps 1e-6, not SyncBN (whose CPU tensors fail in a
    multi-process run), in the projector, its target copy and the predictor."""
    norms = {name: m for name, m in cmae_v.named_modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    assert {name.split('.')[0] for name in norms} == {'projector', 'target', 'contrastive_head'}
    assert all(type(m) is torch.nn.BatchNorm1d and m.eps == 1e-6 for m in norms.values())


def test_toy_decoders_get_the_configs_xavier_init(cmae_v):
    """The model-level init_cfg reaches both video decoders: linears xavier-uniform (filling
    +-sqrt(6 / (fan_in + fan_out)), biases ~0 where PyTorch's default draws them), unit
    LayerNorms."""
    for decoder in (cmae_v.pixel_decoder, cmae_v.feature_decoder):
        for module in decoder.modules():
            if isinstance(module, torch.nn.Linear):
                fan_out, fan_in = module.weight.shape
                bound = (6 / (fan_in + fan_out))**.5
                assert 0.9 * bound < module.weight.abs().max() <= bound
                assert abs(module.weight.std() * 3**.5 / bound - 1) < 0.15
                assert module.bias.abs().max() < 1e-4
            elif isinstance(module, torch.nn.LayerNorm):
                assert torch.all(module.weight == 1) and torch.all(module.bias == 0)


def test_videomae_baseline_shares_the_parts():
    cfg = Config.fromfile(VIDEOMAE)
    cmae = Config.fromfile(CMAE_V)
    assert cfg.model.type == 'mmpretrain.MAE'
    assert cfg.model.backbone == cmae.model.backbone
    assert cfg.model.neck == cmae.model.pixel_decoder and cfg.model.head == cmae.model.pixel_head
    assert cfg.optim_wrapper == cmae.optim_wrapper and cfg.train_cfg == cmae.train_cfg
    assert cfg.param_scheduler == cmae.param_scheduler
    model = _build(VIDEOMAE)
    loss = model.loss(_pair()[0], None)['loss']
    assert loss.ndim == 0 and loss > 0


def test_hybrid_cmae_v_runs():
    model = _build(HYBRID)
    model.target_update = 'in_loss'
    losses = model.loss(list(_pair(batch=2)))
    assert torch.isfinite(losses['loss_rc']) and torch.isfinite(losses['loss_ct'])
    assert type(model.backbone).__name__ == 'VideoConvMAEViT'


def _recognizer(average='prob'):
    init_default_scope('mmvl')
    cfg = Config.fromfile(FINETUNE)
    cfg.model.backbone.init_cfg = None
    cfg.model.average_clips = average
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def test_recognizer_averages_probabilities_over_views():
    model = _recognizer()
    views = torch.randn(2, 6, 3, 8, 64, 64)
    samples = model.predict(views)
    logits = model.head(model.backbone(views.flatten(0, 1)))
    probs = logits.softmax(-1).view(2, 6, -1).mean(1)
    assert torch.allclose(torch.stack([s.pred_score for s in samples]), probs, atol=1e-6)
    assert [int(s.pred_label) for s in samples] == probs.argmax(-1).tolist()
    # per-view scores differ, so averaging is not a no-op
    assert not torch.allclose(logits.softmax(-1).view(2, 6, -1)[:, 0], probs)
    scores = _recognizer('score').predict(views)
    assert torch.allclose(scores[0].pred_score, logits.view(2, 6, -1).mean(1).softmax(-1)[0],
                          atol=1e-6)
    with pytest.raises(ValueError, match='one view per video'):
        model.loss(views, samples)


def test_top1_top5_accuracy_on_averaged_views():
    model = _recognizer()
    views = torch.randn(3, 2, 3, 8, 64, 64)
    samples = model.predict(views)
    ranks = [torch.argsort(s.pred_score, descending=True) for s in samples]
    labels = [int(ranks[0][0]), int(ranks[1][3]), int(ranks[2][6])]  # top-1, top-5, neither
    metric = METRICS.build(dict(type='mmpretrain.Accuracy', topk=(1, 5)))
    metric.process(None, [dict(pred_score=s.pred_score, gt_label=torch.tensor([label]))
                          for s, label in zip(samples, labels)])
    result = metric.compute_metrics(metric.results)
    assert result['top1'] == pytest.approx(100 / 3)
    assert result['top5'] == pytest.approx(200 / 3)


@pytest.mark.parametrize('name', [
    'cmae-v_vit-base-p16_16xb64-800e_kinetics-400.py',
    'cmae-v_vit-base-p16_16xb64-800e_sthv2.py',
    'cmae-v_convvit-base-p16_16xb64-800e_kinetics-400.py',
    'cmae-v_convvit-base-p16_16xb64-800e_sthv2.py',
])
def test_paper_scale_pretraining_initialises(name):
    """The runner calls ``init_weights`` first: at 16 x 224 the 8 x 14 x 14 grid (1568 tokens,
    not a square) must get its space-time decoder tables (no forward at this size)."""
    init_default_scope('mmvl')
    cfg = Config.fromfile(get_config_path(f'cmae_v/{name}'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    for decoder in (model.pixel_decoder, model.feature_decoder):
        assert decoder.token_grid == (8, 14, 14)
        assert decoder.decoder_pos_embed.shape[1] == 1 + 8 * 14 * 14
        assert torch.equal(decoder.decoder_pos_embed[0, 0],
                           torch.zeros_like(decoder.decoder_pos_embed[0, 0]))
