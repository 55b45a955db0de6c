"""MCL's mechanisms, each checked by its behaviour: montage assembly, the scale-to-level cell
mapping, the region neck's cells, the multi-level loss (weights, temperature, both directions),
the momentum target (stop-gradient, cosine EMA, update order) and the preprocessor."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from torch import nn

from mmvl.models.data_preprocessors import (MontagePyramid, build_montage_pyramid,
                                            sample_montage_sources)
from mmvl.models.necks import MCLRegionNeck
from mmvl.models.utils.ema import CosineMomentumEMA
from mmvl.registry import MODELS
from mmvl.testing import get_model_cfg

CONFIG = 'mcl/mcl_resnet18_1xb16-600it_toyworld.py'
RATIOS = (1, 2, 4, 8)


def tiny_mcl_cfg(canvas=32, images=4, **overrides):
    """The toy config's model, narrowed: 16-channel ResNet-18, 16-d embeddings."""
    cfg = get_model_cfg(CONFIG)
    cfg.data_preprocessor.update(canvas_size=canvas, num_montages=[images, 1, 1, 1])
    cfg.backbone.update(stem_channels=16, base_channels=16)
    cfg.neck[0].update(in_channels=[16, 32, 64, 128], out_channels=16)
    cfg.neck[1].update(in_channels=16, hid_channels=32, out_channels=16,
                       cell_size=canvas // 32)
    cfg.head.predictor.update(in_channels=16, hid_channels=32, out_channels=16)
    cfg.max_iters = 10
    cfg.update(overrides)
    return cfg


def build(cfg, seed=0):
    init_default_scope('mmvl')
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def random_batch(model, seed=0, images=4, canvas=32):
    gen = torch.Generator().manual_seed(seed)
    views = [torch.randint(0, 256, (images, 3, canvas, canvas), generator=gen,
                           dtype=torch.uint8) for _ in range(8)]
    model.data_preprocessor.generator = torch.Generator().manual_seed(seed)
    return model.data_preprocessor(dict(inputs=views, data_samples=None), True)['inputs']


def coded_views(num_images=6, canvas=32, num_views=8):
    """Views whose pixels say which image, view, row and column they are."""
    b = torch.arange(num_images, dtype=torch.float64)[:, None, None, None]
    y = torch.arange(canvas, dtype=torch.float64)[None, None, :, None]
    x = torch.arange(canvas, dtype=torch.float64)[None, None, None, :]
    c = torch.arange(3, dtype=torch.float64)[None, :, None, None]
    return [(b * 1e6 + v * 1e5 + c * 1e4 + y * 100 + x).expand(num_images, 3, canvas, canvas)
            .clone() for v in range(num_views)]


# ----------------------------------------------------------------- montage assembly
@pytest.mark.parametrize('num_montages', [(6, 3, 1, 2), (6, 1, 2, 1)])
def test_every_montage_cell_holds_its_recorded_source(num_montages):
    views = coded_views()
    pyramid = build_montage_pyramid(views, RATIOS, num_montages, (0, 1, 2, 3), (4, 5, 6, 7),
                                    generator=torch.Generator().manual_seed(1))
    canvas = 32
    for images, sources, view_ids in ((pyramid.query, pyramid.query_sources, (0, 1, 2, 3)),
                                      (pyramid.key, pyramid.key_sources, (4, 5, 6, 7))):
        assert images.shape == (sum(num_montages), 3, canvas, canvas)
        assert torch.equal(images[:6], views[view_ids[0]])  # level 0: the views, in order
        assert torch.equal(sources[0], torch.arange(6))
        for level in (1, 2, 3):
            r, side = RATIOS[level], canvas // RATIOS[level]
            montages = images[pyramid.level_slice(level)]
            assert len(sources[level]) == num_montages[level] * r * r
            for m in range(num_montages[level]):
                for row in range(r):
                    for col in range(r):
                        src = int(sources[level][m * r * r + row * r + col])
                        cell = montages[m, :, row * side:(row + 1) * side,
                                        col * side:(col + 1) * side]
                        # nearest down-sampling by r keeps every r-th pixel
                        expected = views[view_ids[level]][src, :, ::r, ::r]
                        assert torch.equal(cell, expected), (level, m, row, col)


def test_sources_are_randperm_mod_images_and_the_draw_is_injectable():
    gen = torch.Generator().manual_seed(3)
    drawn = sample_montage_sources(num_images=128, num_montages=4, ratio=8, generator=gen)
    expected = torch.randperm(256, generator=torch.Generator().manual_seed(3)) % 128
    assert torch.equal(drawn, expected)
    # the authors' level 3: 4 montages of 8x8 for 128 images -> each image exactly twice
    assert torch.equal(torch.bincount(drawn, minlength=128), torch.full((128, ), 2))
    views = coded_views(num_images=4, canvas=16)
    fixed = [torch.tensor([3, 2, 1, 0]), torch.arange(16) % 4, torch.zeros(64, dtype=torch.long)]
    sources = [[None, *fixed], [None, *fixed]]
    pyramid = build_montage_pyramid(views, RATIOS, (4, 1, 1, 1), (0, 1, 2, 3), (4, 5, 6, 7),
                                    sources=sources)
    for level in (1, 2, 3):
        assert torch.equal(pyramid.query_sources[level], fixed[level - 1])
    with pytest.raises(ValueError, match='need 32 sources, got 16'):
        build_montage_pyramid(views, RATIOS, (4, 1, 2, 1), (0, 1, 2, 3), (4, 5, 6, 7),
                              sources=sources)
    with pytest.raises(ValueError, match='num_montages\\[0\\]'):
        build_montage_pyramid(views, RATIOS, (8, 1, 1, 1), (0, 1, 2, 3), (4, 5, 6, 7))


def test_preprocessor_normalises_then_builds_pyramid_and_checks_its_input():
    init_default_scope('mmvl')
    pre = MODELS.build(dict(type='MCLDataPreprocessor', mean=[10., 20., 30.], std=[2., 2., 2.],
                            canvas_size=32, num_montages=[4, 1, 1, 1]))
    views = [torch.full((4, 3, 32, 32), 50, dtype=torch.uint8) for _ in range(8)]
    out = pre(dict(inputs=views, data_samples=None), True)['inputs']
    assert isinstance(out, MontagePyramid) and out.query.shape == (7, 3, 32, 32)
    assert torch.allclose(out.key[:, 0], torch.tensor(20.)) and torch.allclose(
        out.key[:, 2], torch.tensor(10.))
    assert isinstance(pre(dict(inputs=views, data_samples=None), False)['inputs'], list)
    with pytest.raises(ValueError, match='needs 8 views'):
        pre(dict(inputs=views[:6], data_samples=None), True)
    small = [v[:, :, :16, :16] for v in views]
    with pytest.raises(ValueError, match='canvas_size is 32'):
        pre(dict(inputs=small, data_samples=None), True)
    with pytest.raises(ValueError, match='multiple of 32'):
        MODELS.build(dict(type='MCLDataPreprocessor', canvas_size=48))


def test_tensor_mode_runs_the_backbone_on_the_preprocessed_views():
    """Outside training the preprocessor hands over the list of views: ``mode='tensor'``
    (``extract_feat``) concatenates them and returns the online backbone's features."""
    model = build(tiny_mcl_cfg()).eval()
    views = [torch.randint(0, 255, (4, 3, 32, 32), dtype=torch.uint8) for _ in range(8)]
    data = model.data_preprocessor(dict(inputs=views, data_samples=None), False)
    with torch.no_grad():
        feats = model(data['inputs'], mode='tensor')
        expected = model.backbone(torch.cat(data['inputs']))
    assert len(feats) == len(expected)
    for got, want in zip(feats, expected):
        assert got.shape[0] == 32 and torch.equal(got, want)
    with pytest.raises(TypeError, match='a tensor or a list of view tensors'):
        model.extract_feat(['not an image'])


# ----------------------------------------------------------------- scale-to-level matching
class StridePyramid(nn.Module):
    """Stands in for backbone + FPN: the image average-pooled at strides 4, 8, 16, 32."""

    def forward(self, x):
        return [F.avg_pool2d(x, s) for s in (4, 8, 16, 32)]


class CellMean(MCLRegionNeck):
    """The real cell cutting, with each cell embedded as its mean."""

    def forward(self, feats):
        return [self.cut_cells(f).mean((2, 3)).reshape(f.size(0), -1, f.size(1)) for f in feats]


@pytest.mark.parametrize('slice_first', [False, True])
def test_each_sub_image_lands_in_its_own_cell_of_the_matched_fpn_level(slice_first):
    model = build(tiny_mcl_cfg(canvas=64, images=6, slice_first=slice_first))
    canvas, images = 64, 6
    # every pixel of image b holds b, so a cell covering exactly one sub-image averages to it
    views = [torch.arange(images, dtype=torch.float)[:, None, None, None].expand(
        images, 3, canvas, canvas).clone() for _ in range(8)]
    pyramid = build_montage_pyramid(views, RATIOS, (6, 3, 1, 2), (0, 1, 2, 3), (4, 5, 6, 7),
                                    generator=torch.Generator().manual_seed(0))
    net = nn.Sequential(nn.Identity(),
                        nn.Sequential(StridePyramid(), CellMean(in_channels=3, cell_size=2)))
    cells = model.embed(net, pyramid.query, pyramid, levels=range(4))
    for level in range(4):
        assert torch.equal(cells[level][:, 0], pyramid.query_sources[level].float()), level
    # a cell size that does not match the canvas is refused, naming the cause
    net[1][1].cell_size = 4
    with pytest.raises(ValueError, match='cell'):
        model.embed(net, pyramid.query, pyramid, levels=range(4))


# ----------------------------------------------------------------- region neck
def test_region_neck_cells_do_not_see_their_neighbours_in_eval_mode():
    torch.manual_seed(0)
    neck = MCLRegionNeck(in_channels=4, hid_channels=8, out_channels=4, cell_size=3)
    neck.init_weights()
    feat = torch.randn(2, 4, 6, 6)  # 2x2 cells of 3x3
    changed = feat.clone()
    changed[0, :, 0:3, 3:6] += 5.  # image 0, cell (0, 1)
    neck.eval()
    before, after = neck([feat])[0], neck([changed])[0]
    differs = (before - after).abs().sum(-1) > 1e-6
    expected = torch.zeros(2, 4, dtype=torch.bool)
    expected[0, 1] = True  # cells are row-major: (0, 1) is index 1
    assert torch.equal(differs, expected)
    # in training the BatchNorm statistics couple every cell of the batch
    neck.train()
    before, after = neck([feat])[0], neck([changed])[0]
    assert ((before - after).abs().sum(-1) > 1e-6).all()


# ----------------------------------------------------------------- the loss
def hand_ce(logits, labels):
    return float(-(logits.detach().log_softmax(1).gather(1, labels[:, None])).mean())


def test_head_loss_is_weighted_scaled_ce_against_normalised_targets():
    init_default_scope('mmvl')
    cfg = tiny_mcl_cfg().head
    torch.manual_seed(0)
    online = [torch.randn(n, 16) for n in (4, 4, 16, 64)]
    targets = torch.randn(4, 16) * 3
    labels = [torch.arange(4), torch.tensor([1, 0, 3, 2]), torch.arange(16) % 4,
              torch.arange(64) % 4]
    losses = {}
    for weights, temperature in (((.5, .25, .125, .125), 1.), ((1., .1, .2, .3), .2)):
        torch.manual_seed(1)
        head = MODELS.build(dict(cfg, level_weights=weights, temperature=temperature))
        head.init_weights()
        head.eval()
        with torch.no_grad():
            out = head.loss(online, targets, labels)
        for i in range(4):
            pred = F.normalize(head.predictors[i]((online[i], ))[0], dim=1).detach()
            logits = pred @ F.normalize(targets, dim=1).t()  # cosines
            expected = hand_ce(logits / temperature, labels[i]) * 2 * temperature * weights[i]
            assert math.isclose(float(out[f'loss_level{i}']), expected, rel_tol=1e-5)
            positives = logits[torch.arange(len(labels[i])), labels[i]]
            assert math.isclose(float(out[f'pos_cos_level{i}']), float(positives.mean()),
                                rel_tol=1e-5)
            negatives = (logits.sum() - positives.sum()) / (logits.numel() - positives.numel())
            assert math.isclose(float(out[f'neg_cos_level{i}']), float(negatives), rel_tol=1e-5,
                                abs_tol=1e-7)
        losses[temperature] = out
    # same predictors (same seed): the two settings differ as the formula says
    assert not math.isclose(float(losses[1.]['loss_level0']), float(losses[.2]['loss_level0']))
    assert set(losses[1.]) == {f'{k}_level{i}' for k in ('loss', 'pos_cos', 'neg_cos')
                               for i in range(4)}


def test_config_level_weights_and_temperature_reach_the_model_loss():
    base = build(tiny_mcl_cfg())
    scaled_cfg = tiny_mcl_cfg()
    scaled_cfg.head.update(level_weights=[1., 1., 1., 2.])
    scaled = build(scaled_cfg)  # same seed: same weights
    for model in (base, scaled):
        model.eval()  # BN on running statistics: both models compute the same embeddings
    pyramid = random_batch(base)
    with torch.no_grad():
        a, b = base.loss(pyramid), scaled.loss(pyramid)
    for i, ratio in enumerate((2., 4., 8., 16.)):
        for d in 'qk':
            assert math.isclose(float(b[f'loss_level{i}_{d}']),
                                ratio * float(a[f'loss_level{i}_{d}']), rel_tol=1e-5)
    hot_cfg = tiny_mcl_cfg()
    hot_cfg.head.temperature = 0.1
    hot = build(hot_cfg)
    hot.eval()
    with torch.no_grad():
        c = hot.loss(pyramid)
    # T only rescales the logits (2T cancels 1/T in the gradient scale, not in the value)
    for i in range(4):
        assert not math.isclose(float(c[f'loss_level{i}_q']), float(a[f'loss_level{i}_q']))
        assert math.isclose(float(c[f'pos_cos_level{i}_q']), float(a[f'pos_cos_level{i}_q']),
                            rel_tol=1e-5)


def test_both_directions_pair_each_set_with_the_other_sets_targets():
    model = build(tiny_mcl_cfg())
    model.eval()
    pyramid = random_batch(model)
    with torch.no_grad():
        losses = model.loss(pyramid)
    assert sorted(k for k in losses if 'loss' in k) == sorted(
        f'loss_level{i}_{d}' for i in range(4) for d in 'qk')
    online = model.online_net
    target = model.target_net.module
    with torch.no_grad():
        for d, own, other, sources in (('q', pyramid.query, pyramid.key, pyramid.query_sources),
                                       ('k', pyramid.key, pyramid.query, pyramid.key_sources)):
            expected = model.head.loss(
                model.embed(online, own, pyramid, range(4)),
                model.embed(target, other, pyramid, [0])[0], sources)
            for i in range(4):
                assert math.isclose(float(losses[f'loss_level{i}_{d}']),
                                    float(expected[f'loss_level{i}']), rel_tol=1e-5)
    assert not math.isclose(float(losses['loss_level0_q']), float(losses['loss_level0_k']))


# ----------------------------------------------------------------- momentum target
def test_targets_are_stop_gradient_and_come_from_the_momentum_branch():
    model = build(tiny_mcl_cfg())
    model.train()
    pyramid = random_batch(model)
    query = pyramid.query.clone().requires_grad_()
    key = pyramid.key.clone().requires_grad_()
    losses = model.loss(pyramid._replace(query=query, key=key))
    # query-set terms: online on the query set, targets from the key set without gradient
    sum(losses[f'loss_level{i}_q'] for i in range(4)).backward()
    assert query.grad is not None and query.grad.abs().sum() > 0
    assert key.grad is None
    assert all(not p.requires_grad for p in model.target_net.parameters())
    trainable = dict(model.named_parameters())
    no_grad = [n for n, p in trainable.items() if p.requires_grad and
               (p.grad is None or p.grad.abs().sum() == 0)]
    assert no_grad == [], no_grad  # every online parameter and all 4 predictors learn
    # the targets are the momentum network's: changing it (only) changes the loss
    model.eval()
    with torch.no_grad():
        before = model.loss(pyramid)
        model.target_net.module[1][1].mlp[3].weight.mul_(-1.)
        after = model.loss(pyramid)
    assert not math.isclose(float(before['loss_level0_q']), float(after['loss_level0_q']))


def test_init_syncs_target_and_update_follows_the_cosine_ema():
    model = build(tiny_mcl_cfg(base_momentum=0.01, end_momentum=0., max_iters=10))
    online, target = model.online_net.state_dict(), model.target_net.module.state_dict()
    assert all(torch.equal(online[k], target[k]) for k in online)
    assert math.isclose(model.current_momentum(), 0.99)  # m_0 = 0.99
    param = model.backbone.conv1.weight
    old = param.detach().clone()
    with torch.no_grad():
        param.add_(1.)
    model.update_target()  # update 0: a = 0.01
    assert torch.allclose(model.target_net.module[0].conv1.weight, old + 0.01, atol=1e-6)
    ema = model.target_net
    assert math.isclose(1 - ema.momentum_at(5), 1 - 0.005, rel_tol=1e-9)  # half way
    assert math.isclose(1 - ema.momentum_at(10), 1.0)  # m = 1 at the end
    ema.steps.fill_(10)
    frozen = model.target_net.module[0].conv1.weight.clone()
    with torch.no_grad():
        param.add_(1.)
    model.update_target()
    assert torch.equal(model.target_net.module[0].conv1.weight, frozen)


def test_ema_length_comes_from_the_runner_or_fails_clearly():
    ema = CosineMomentumEMA(nn.Linear(2, 2), momentum=0.01)
    with pytest.raises(RuntimeError, match='max_iters'):
        ema.momentum_at(0)
    MessageHub.get_current_instance().update_info('max_iters', 4)
    assert math.isclose(ema.momentum_at(2), 0.005)


@pytest.mark.parametrize('mode', ['in_loss', 'after_step'])
def test_target_update_order(mode):
    model = build(tiny_mcl_cfg(target_update=mode))
    model.train()
    pyramid = random_batch(model)
    with torch.no_grad():
        model.backbone.conv1.weight.add_(1.)  # as an optimizer step would
    before = model.target_net.module[0].conv1.weight.clone()
    model.loss(pyramid)
    moved = not torch.equal(model.target_net.module[0].conv1.weight, before)
    assert moved == (mode == 'in_loss')
    if mode == 'after_step':
        with pytest.raises(RuntimeError, match='TargetUpdateHook'):
            model.loss(pyramid)  # the hook was forgotten
        model.update_target()
        assert not torch.equal(model.target_net.module[0].conv1.weight, before)
        model.loss(pyramid)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match='target_update'):
        build(tiny_mcl_cfg(target_update='before'))
    cfg = tiny_mcl_cfg()
    cfg.neck = cfg.neck[0]
    with pytest.raises(TypeError, match='FPN, MCLRegionNeck'):
        build(cfg)


def test_lars_exclusions_follow_the_authors_pattern():
    """No weight decay and no LARS adaptation for biases and the BNs the authors' pattern
    ``(bn|gn)(\\d+)?.(weight|bias)`` names; the other BN weights keep both, as there."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    from mmvl.testing import get_config_path
    model = build(tiny_mcl_cfg())
    optim_cfg = Config.fromfile(get_config_path(CONFIG)).optim_wrapper
    optimizer = build_optim_wrapper(model, optim_cfg).optimizer
    names = {id(p): n for n, p in model.named_parameters()}
    excluded = {names[id(p)] for group in optimizer.param_groups if group.get('lars_exclude')
                for p in group['params']}
    for group in optimizer.param_groups:
        assert group['weight_decay'] == (0 if group.get('lars_exclude') else 1e-5)
    for name in ('backbone.bn1.weight', 'backbone.layer1.0.bn2.weight',
                 'neck.0.lateral_convs.0.bn.weight', 'neck.1.convs.3.bn.weight',
                 'backbone.layer2.0.downsample.1.bias', 'neck.1.mlp.0.bias',
                 'head.predictors.2.fc1.bias', 'head.predictors.0.bn0.bias'):
        assert name in excluded, name
    for name in ('backbone.conv1.weight', 'backbone.layer2.0.downsample.1.weight',
                 'neck.1.mlp.1.weight', 'head.predictors.0.bn0.weight',
                 'neck.1.convs.0.conv.weight', 'head.predictors.1.fc0.weight'):
        assert name not in excluded and name in names.values(), name
