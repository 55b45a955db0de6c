"""CMAE: block masking, the momentum target, the two losses and the contrast across ranks."""
import copy
import os
import os.path as osp
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvl.models.selfsup import CMAE, CMAEViT
from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT

TOY_MODEL = osp.join(REPO_ROOT, 'configs/_base_/models/cmae_vit-toy-p8.py')
ARCH = dict(embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32)
BN = dict(type='BN1d', eps=1e-6)


def tiny_cfg(**overrides):
    """The toy model config at 32 px (4 x 4 patches of 8 px: 2 x 2 units), width 16."""
    model = Config.fromfile(TOY_MODEL).model
    for key in ('backbone', 'target_backbone'):
        model[key].update(arch=ARCH, img_size=32)
    for key, out in (('pixel_decoder', None), ('feature_decoder', 16)):
        model[key].update(num_patches=16, embed_dim=16, decoder_embed_dim=8, decoder_num_heads=2,
                          predict_feature_dim=out)
    model.projector.update(in_channels=16, hid_channels=24, out_channels=12, norm_cfg=BN)
    model.contrastive_head.predictor.update(in_channels=12, hid_channels=24, out_channels=12,
                                            norm_cfg=BN)
    model.update(overrides)
    return model


def tiny_cmae(**overrides):
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(**overrides))
    model.init_weights()
    return model.train()


def views(batch=4, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, 32, 32, generator=gen) for _ in range(2)]


def fix_noise(model, noise):
    model.backbone.draw_noise = lambda batch, units, device: noise.clone()


# ---------------------------------------------------------------------------- block masking


def test_block_masking_hides_whole_units_the_authors_way():
    vit = CMAEViT(arch=ARCH, img_size=64, patch_size=8, block_size=2, mask_ratio=0.65)
    x = torch.randn(3, 64, 16)  # 8 x 8 patches -> 4 x 4 units
    noise = torch.rand(3, 16)
    kept, mask, ids_restore = vit.block_masking(x, (8, 8), noise)

    # the authors' CMAEViT.random_masking, written out: keep int(16 * 0.35) = 5 units with the
    # smallest noise, row-major units expanded to their 2 x 2 patches
    keep = int(16 * (1 - 0.65))
    unit_keep = torch.zeros(3, 16).scatter(1, noise.argsort(1)[:, :keep], 1.)
    patch_keep = unit_keep.view(3, 4, 1, 4, 1).expand(-1, -1, 2, -1, 2).reshape(3, 64)
    assert torch.equal(mask, 1 - patch_keep)
    assert mask.sum(1).eq(64 - 4 * keep).all()
    # every 2 x 2 unit is all kept or all hidden
    units = mask.view(3, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(3, 16, 4)
    assert (units.min(-1).values == units.max(-1).values).all()
    # the encoder gets the kept tokens in raster order; ids_restore puts them back in place
    for b in range(3):
        assert torch.equal(kept[b], x[b][patch_keep[b].bool()])
    filler = torch.full((3, 64 - kept.shape[1], 16), float('nan'))
    restored = torch.gather(torch.cat([kept, filler], 1), 1,
                            ids_restore.unsqueeze(-1).expand(-1, -1, 16))
    assert torch.equal(restored[patch_keep.bool()], x[patch_keep.bool()])
    assert restored[~patch_keep.bool()].isnan().all()


def test_random_block_masks_and_block_size_one():
    vit = CMAEViT(arch=ARCH, img_size=64, patch_size=8, block_size=2, mask_ratio=0.65)
    latent, mask, _ = vit(torch.randn(2, 3, 64, 64))
    assert latent.shape == (2, 1 + 4 * 5, 16)  # cls + 5 kept units of 4 patches
    units = mask.view(2, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(2, 16, 4)
    assert (units.min(-1).values == units.max(-1).values).all()
    per_patch = CMAEViT(arch=ARCH, img_size=64, patch_size=8, block_size=1, mask_ratio=0.75)
    assert per_patch(torch.randn(2, 3, 64, 64))[0].shape == (2, 1 + 16, 16)  # MAE's 25 %
    with pytest.raises(ValueError, match='not divisible'):
        CMAEViT(arch=ARCH, img_size=40, patch_size=8, block_size=2)
    with pytest.raises(ValueError, match='noise must have shape'):
        vit.block_masking(torch.randn(2, 64, 16), (8, 8), torch.rand(2, 15))
    # an image of the wrong size: one error naming the expected and the given size
    with pytest.raises(ValueError, match=r'64 x 64 px .*got \(48, 64\)'):
        vit(torch.randn(2, 3, 48, 64))


def test_target_encoder_sees_every_token_in_order_without_final_norm():
    torch.manual_seed(0)
    target = CMAEViT(arch=ARCH, img_size=32, patch_size=8, mask_ratio=0., final_norm=False)
    target.draw_noise = None  # mask_ratio 0 draws nothing
    images = torch.randn(2, 3, 32, 32)
    latent, mask, ids_restore = target(images)
    assert not hasattr(target, 'ln1')
    assert mask.eq(0).all() and torch.equal(ids_restore, torch.arange(16).expand(2, 16))
    # the same as the plain ViT forward over all tokens (no final norm)
    target.out_type = 'raw'
    assert torch.allclose(latent, target(images, mask=None)[0], atol=1e-6)


# ----------------------------------------------------------------------- momentum target


def test_target_gets_no_gradient_and_moves_by_ema_only():
    model = tiny_cmae(target_update='after_step')
    online = dict(model.online_net.named_parameters())
    target = dict(model.target.module.named_parameters())
    assert 'backbone.ln1.weight' in online and 'backbone.ln1.weight' not in target
    for name, param in target.items():  # init_weights copied the online branch
        assert torch.equal(param, online[name]) and not param.requires_grad

    before = {k: v.clone() for k, v in target.items()}
    losses = model.loss(views())
    (losses['loss_rc'] + losses['loss_ct']).backward()
    assert all(p.grad is None for p in model.target.parameters())
    trained = [n for n, p in model.named_parameters() if p.requires_grad]
    assert all(model.get_parameter(n).grad is not None for n in trained), [
        n for n in trained if model.get_parameter(n).grad is None]
    assert any(n.startswith('contrastive_head.predictor') for n in trained)
    for name, param in target.items():  # the forward did not move the target
        assert torch.equal(param, before[name])

    torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5).step()
    model.update_target()
    moved = 0
    for name, param in target.items():
        expected = 0.996 * before[name] + 0.004 * online[name]
        assert torch.allclose(param, expected, atol=1e-6), name
        moved += not torch.equal(param, before[name])
    assert moved > 10


def test_after_step_target_update_needs_the_hook_and_cosine_ramp():
    model = tiny_cmae(target_update='after_step')
    model.loss(views())
    with pytest.raises(RuntimeError, match='TargetUpdateHook'):
        model.loss(views())
    model.update_target()
    model.loss(views())  # fine again

    ramp = tiny_cmae(base_momentum=0.01, end_momentum=0., max_iters=4, target_update='in_loss')
    assert ramp.current_momentum() == pytest.approx(0.99)
    ramp.target.steps += 2
    assert ramp.current_momentum() == pytest.approx(1 - 0.005)
    in_loss = tiny_cmae(target_update='in_loss')  # loss() moves the target before its forward
    in_loss.loss(views())
    assert int(in_loss.target.steps) == 1


def test_target_must_mirror_the_online_names():
    with pytest.raises(ValueError, match='without an online twin'):
        tiny_cmae(target_backbone=dict(tiny_cfg().target_backbone,
                                       arch=dict(ARCH, num_layers=3)))


# ------------------------------------------------------------------------------- losses


def test_losses_match_a_hand_computation():
    model = tiny_cmae()
    model.target_update = 'after_step'  # keep the target fixed for the recomputation
    online_view, target_view = views()
    noise = torch.rand(4, 4)
    fix_noise(model, noise)
    losses = model.loss([online_view, target_view])

    with torch.no_grad():
        latent, mask, ids_restore = model.backbone(online_view, noise=noise)
        assert mask.sum(1).eq(12).all()  # 1 of 4 units kept
        # reconstruction: per-patch normalised pixels (unbiased var + 1e-6), MSE, masked mean
        pred = model.pixel_decoder(latent, ids_restore)
        patches = online_view.view(4, 3, 4, 8, 4, 8).permute(0, 2, 4, 3, 5, 1).reshape(4, 16, -1)
        patches = (patches - patches.mean(-1, keepdim=True)) / (
            patches.var(-1, keepdim=True) + 1e-6)**.5
        per_patch = ((pred - patches)**2).mean(-1)
        assert torch.allclose(losses['loss_rc'], (per_patch * mask).sum() / mask.sum())
        assert not torch.allclose(losses['loss_rc'], per_patch.mean())  # kept patches excluded

        # contrast: mean of all feature-decoder tokens -> projector -> predictor, against the
        # target projector on the mean of the target encoder's patch tokens (cls left out)
        feats = model.feature_decoder(latent, ids_restore).mean(1)
        pred = F.normalize(model.contrastive_head.predictor([model.projector([feats])[0]])[0])
        t_latent = model.target.module.backbone(target_view)[0]
        targets = F.normalize(model.target.module.projector([t_latent[:, 1:].mean(1)])[0])
        logits = pred @ targets.t() / 0.07
        expected = F.cross_entropy(logits, torch.arange(4)) * 2 * 0.07
        assert torch.allclose(losses['loss_ct'], expected, atol=1e-6)


def test_target_view_feeds_only_the_contrastive_loss():
    model = tiny_cmae(target_update='after_step')
    online_view, target_view = views()
    noise = torch.rand(4, 4)
    fix_noise(model, noise)
    with torch.no_grad():
        a = model.loss([online_view, target_view])
        model.update_target()
        b = model.loss([online_view, target_view.flip(-1)])
    assert torch.equal(a['loss_rc'], b['loss_rc'])
    assert not torch.allclose(a['loss_ct'], b['loss_ct'])


def test_bad_inputs_get_one_clear_error():
    model = tiny_cmae()
    with pytest.raises(ValueError, match=r'inputs=\[online_view, target_view\]'):
        model.loss(torch.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match='4 views'):
        model.loss(views() + views())
    with pytest.raises(ValueError, match='differ in shape'):
        model.loss([torch.randn(2, 3, 32, 32), torch.randn(3, 3, 32, 32)])
    with pytest.raises(ValueError, match='target_update'):
        tiny_cmae(target_update='never')
    assert model.extract_feat(views())[0].shape == (4, 17, 16)  # unmasked online encoder
    assert isinstance(model, CMAE)


# ------------------------------------------------------- contrast across ranks (2 x gloo)

BATCH = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _head():
    init_default_scope('mmvl')
    torch.manual_seed(0)
    head = MODELS.build(copy.deepcopy(tiny_cfg().contrastive_head))
    return head.eval()  # BN with its initial statistics: the same predictor on every rank


def _rank_inputs(rank):
    gen = torch.Generator().manual_seed(10 + rank)
    return torch.randn(BATCH, 12, generator=gen), torch.randn(BATCH, 12, generator=gen)


def _rank_views(rank):
    """This rank's online and target views (32 px) and block-mask noise (2 x 2 units)."""
    gen = torch.Generator().manual_seed(20 + rank)
    online, target = (torch.randn(BATCH, 3, 32, 32, generator=gen) for _ in range(2))
    return online, target, torch.rand(BATCH, 4, generator=gen)


def _rank_cmae(rank):
    """The same tiny CMAE on every rank (seed 0), masking with this rank's noise."""
    model = tiny_cmae()
    fix_noise(model, _rank_views(rank)[2])
    return model


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        online, target = _rank_inputs(rank)
        with torch.no_grad():
            head_loss = _head().loss(online, target)
        online_view, target_view, _ = _rank_views(rank)
        cmae_loss = _rank_cmae(rank).loss([online_view, target_view])['loss_ct']
        torch.save(dict(head=head_loss, cmae=cmae_loss.detach()),
                   osp.join(out_dir, f'{rank}.pt'))
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def gloo_losses(tmp_path_factory):
    """One 2-process gloo run: each rank's MoCoV3Head.loss and CMAE.loss()['loss_ct']."""
    out_dir = tmp_path_factory.mktemp('cmae_gloo')
    mp.spawn(_worker, args=(_free_port(), str(out_dir)), nprocs=2, join=True)
    return [torch.load(out_dir / f'{rank}.pt') for rank in (0, 1)]


def _infonce(pred, targets, rank):
    """InfoNCE x 2 tau of this rank's predictions against all ranks' targets, this rank's
    positives at ``arange(B) + B * rank``."""
    logits = F.normalize(pred) @ F.normalize(targets).t() / 0.07
    return F.cross_entropy(logits, torch.arange(BATCH) + BATCH * rank) * 2 * 0.07


def test_contrastive_labels_line_up_across_ranks(gloo_losses):
    head = _head()
    inputs = [_rank_inputs(r) for r in (0, 1)]
    targets = torch.cat([t for _, t in inputs])  # all-gathered, rank order
    for rank in (0, 1):
        with torch.no_grad():
            pred = head.predictor([inputs[rank][0]])[0]
        got = gloo_losses[rank]['head']
        assert torch.allclose(got, _infonce(pred, targets, rank), atol=1e-5), rank
        if rank == 1:  # the offset matters: labels without it give another loss
            assert not torch.allclose(got, _infonce(pred, targets, 0), atol=1e-3)


def test_cmae_loss_contrasts_with_targets_of_every_rank(gloo_losses):
    """CMAE.loss on two gloo ranks: loss_ct is InfoNCE of the rank's predicted online
    projections against the target projections of both ranks (all-gathered in rank order),
    written out here from the model's parts on each rank's batch."""
    preds, targets = [], []
    for rank in (0, 1):
        model = _rank_cmae(rank)
        online_view, target_view, _ = _rank_views(rank)
        with torch.no_grad():
            latent, _, ids_restore = model.backbone(online_view)
            features = model.feature_decoder(latent, ids_restore).mean(dim=1)
            online_proj = model.projector([features])[0]
            preds.append(model.contrastive_head.predictor([online_proj])[0])
            targets.append(model.embed_target(target_view))
    all_targets = torch.cat(targets)
    for rank in (0, 1):
        got = gloo_losses[rank]['cmae']
        assert torch.allclose(got, _infonce(preds[rank], all_targets, rank), atol=1e-5), rank
        # neither the local targets alone nor the labels without the rank offset give it
        local = F.cross_entropy(
            F.normalize(preds[rank]) @ F.normalize(targets[rank]).t() / 0.07,
            torch.arange(BATCH)) * 2 * 0.07
        assert not torch.allclose(got, local, atol=1e-3)
        if rank == 1:
            assert not torch.allclose(got, _infonce(preds[rank], all_targets, 0), atol=1e-3)
