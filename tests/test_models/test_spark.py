"""SparK's mechanisms, each checked by its behaviour: sparse layers see visible positions only
(a masked image equals the dense model on its visible crop; masked pixels cannot move a visible
output), sparse BN statistics, the dense path with no mask, per-model masks, the masked-patch
loss against a hand computation, list inputs and ``mode='tensor'``."""
import copy

import pytest
import torch
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmpretrain.models import ConvNeXt, ResNet, SEResNet, SparKPretrainHead
from torch import nn

from mmvl.models.layers import SparseContext, sparsify
from mmvl.models.layers.sparse_modules import SparseBatchNorm2d, is_sparse
from mmvl.registry import MODELS

torch.set_num_threads(1)


def tiny_resnet(**kwargs):
    return ResNet(depth=18, stem_channels=8, base_channels=8, out_indices=(0, 1, 2, 3),
                  **kwargs)


def tiny_convnext(**kwargs):
    return ConvNeXt(arch=dict(depths=[1, 1, 2, 1], channels=[8, 16, 32, 64]),
                    out_indices=(0, 1, 2, 3), gap_before_final_norm=False, use_grn=True,
                    **kwargs)


def tiny_seresnet():
    return SEResNet(depth=50, stem_channels=8, base_channels=8, out_indices=(0, 1, 2, 3))


BACKBONES = dict(resnet=tiny_resnet, convnext=tiny_convnext, seresnet=tiny_seresnet)


def spark_cfg(backbone='resnet', width=32):
    backbones = dict(
        resnet=dict(type='mmpretrain.ResNet', depth=18, stem_channels=8, base_channels=8,
                    out_indices=(0, 1, 2, 3), _scope_='mmpretrain'),
        convnext=dict(type='mmpretrain.ConvNeXt', arch=dict(depths=[1, 1, 2, 1],
                                                            channels=[8, 16, 32, 64]),
                      out_indices=(0, 1, 2, 3), gap_before_final_norm=False,
                      _scope_='mmpretrain'))
    return dict(
        type='SparK',
        downsample_ratio=32,
        densify_norm='bn' if backbone == 'resnet' else 'ln',
        backbone_identity=() if backbone == 'resnet' else ('norm0', 'norm1', 'norm2', 'norm3'),
        backbone=backbones[backbone],
        neck=dict(type='mmpretrain.SparKLightDecoder', feature_dim=width, upsample_ratio=32,
                  norm_cfg=dict(type='BN'), _scope_='mmpretrain'),
        head=dict(type='mmpretrain.SparKPretrainHead', patch_size=32,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2'),
                  _scope_='mmpretrain'))


def build_spark(backbone='resnet'):
    init_default_scope('mmvl')
    torch.manual_seed(0)
    return MODELS.build(spark_cfg(backbone))


def upsample(mask, size):
    factor = size // mask.shape[-1]
    return mask.repeat_interleave(factor, 2).repeat_interleave(factor, 3)


# A 4 x 4 grid (128 px, 32 px cells), irregular: visible cells are True.
MASK = torch.tensor([[1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 0], [1, 0, 0, 1]], dtype=torch.bool)


# ------------------------------------------------------ sparse encoder: nothing masked leaks
@pytest.mark.parametrize('name', ['resnet', 'convnext', 'seresnet'])
def test_masked_image_equals_dense_model_on_visible_crop(name):
    """Visible = top-left 2 x 2 cells: the sparse model on the whole masked image equals the
    dense model on the 64 x 64 crop at every level (BN statistics in train mode, GRN and SE
    global pools over visible positions only), and is zero elsewhere. In float64, so that
    the tolerance separates a leak from rounding."""
    torch.manual_seed(0)
    dense = BACKBONES[name]().double()
    dense.train()
    sparse = sparsify(copy.deepcopy(dense), SparseContext())
    context = next(m for m in sparse.modules() if is_sparse(m))._sparse_context
    images = torch.randn(2, 3, 128, 128, dtype=torch.float64)
    active = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    active[:, :, :2, :2] = True
    with context.activate(active):
        feats = sparse(images * upsample(active, 128))
    crop_feats = dense(images[:, :, :64, :64])
    for feat, crop in zip(feats, crop_feats):
        half = feat.shape[-1] // 2
        torch.testing.assert_close(feat[:, :, :half, :half], crop, rtol=1e-9, atol=1e-9)
        outside = ~upsample(active, feat.shape[-1]).expand_as(feat)
        assert feat[outside].abs().max() == 0


@pytest.mark.parametrize('name', ['resnet', 'convnext'])
def test_masked_pixels_cannot_change_visible_outputs(name):
    """Through SparK.loss with an irregular mask: new content in masked cells leaves every
    level's maps unchanged and the masked positions zero."""
    model = build_spark(name)
    captured = []
    model.backbone.register_forward_hook(lambda m, i, out: captured.append(out))
    images = torch.randn(2, 3, 128, 128)
    active = MASK.expand(2, 1, 4, 4)
    noise = torch.randn_like(images) * 10 * ~upsample(active, 128)
    model.loss(images, active_mask=active)
    model.loss(images + noise, active_mask=active)
    for first, second in zip(*captured):
        assert torch.equal(first, second)
        visible = upsample(active, first.shape[-1]).expand_as(first)
        assert first[~visible].abs().max() == 0
        assert first[visible].abs().sum() > 0


def test_densified_levels_hold_mask_tokens_at_masked_positions():
    model = build_spark('resnet')
    inputs = []
    model.neck.register_forward_pre_hook(lambda m, args: inputs.append(args[0]))
    active = MASK.expand(2, 1, 4, 4)
    model.loss(torch.randn(2, 3, 128, 128), active_mask=active)
    deepest = inputs[0][0]  # 1 x 1 projection of the deepest level, no bias mixing positions
    expected = model.densify_projs[0](model.mask_tokens[0])[0, :, 0, 0]
    torch.testing.assert_close(deepest[0, :, 0, 1], expected)  # a masked cell
    assert not torch.allclose(deepest[0, :, 0, 0], expected)  # a visible cell


def test_sparse_batchnorm_statistics_over_visible_positions_only():
    context = SparseContext()
    bn = sparsify(nn.BatchNorm2d(3, momentum=0.5), context)
    assert isinstance(bn, SparseBatchNorm2d)
    x = torch.randn(2, 3, 8, 8) + 3.
    active = torch.rand(2, 1, 4, 4) > 0.5
    visible = upsample(active, 8)[:, 0]
    with context.activate(active):
        out = bn(x)
    rows = x.permute(0, 2, 3, 1)[visible]  # M x C
    torch.testing.assert_close(bn.running_mean, 0.5 * rows.mean(0))
    torch.testing.assert_close(bn.running_var, 0.5 + 0.5 * rows.var(0, unbiased=True))
    expected = (rows - rows.mean(0)) / torch.sqrt(rows.var(0, unbiased=False) + bn.eps)
    torch.testing.assert_close(out.permute(0, 2, 3, 1)[visible], expected)
    assert out.permute(0, 2, 3, 1)[~visible].abs().max() == 0
    dense_mean = x.mean((0, 2, 3))
    assert not torch.allclose(rows.mean(0), dense_mean)  # the check can fail


def test_sparse_global_pool_averages_visible_positions_only():
    context = SparseContext()
    se = sparsify(nn.Sequential(nn.Conv2d(2, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Conv2d(2, 2, 1)),
                  context)
    x = torch.rand(1, 2, 4, 4)
    active = torch.tensor([[[[True, False], [False, False]]]])
    with context.activate(active):
        pooled = se[1](x)
        out = se(x)
    torch.testing.assert_close(pooled[0, :, 0, 0], x[0, :, :2, :2].mean((1, 2)))
    conv_out = se[0](x)[0, :, :2, :2].mean((1, 2))  # no mask active: dense conv
    torch.testing.assert_close(out[0, :, 0, 0], se[2].weight[:, :, 0, 0] @ conv_out + se[2].bias)


# ------------------------------------------------------------- no mask: exactly the dense model
@pytest.mark.parametrize('name', ['resnet', 'convnext', 'seresnet'])
def test_no_mask_is_bit_identical_to_dense_and_state_dicts_match(name):
    torch.manual_seed(0)
    dense = BACKBONES[name]()
    sparse = sparsify(copy.deepcopy(dense), SparseContext())
    x = torch.randn(2, 3, 64, 64)
    for mode in (True, False):
        dense.train(mode)
        sparse.train(mode)
        for a, b in zip(dense(x), sparse(x)):
            assert torch.equal(a, b)
    fresh = BACKBONES[name]()
    result = fresh.load_state_dict(sparse.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert list(sparse.state_dict()) == list(dense.state_dict())


def test_spark_state_dict_has_dense_backbone_keys():
    model = build_spark('resnet')
    backbone_keys = {k[len('backbone.'):] for k in model.state_dict() if k.startswith('backbone.')}
    assert backbone_keys == set(tiny_resnet().state_dict())


# ---------------------------------------------------------------- masks belong to one model
def test_two_models_do_not_share_a_mask():
    first, second = build_spark('resnet'), build_spark('resnet')
    second.eval()
    x = torch.randn(2, 3, 128, 128)
    reference = second.extract_feat(x)
    with first.sparse_context.activate(MASK.expand(2, 1, 4, 4)):
        assert second.sparse_context.active is None
        during = second.extract_feat(x)
    for a, b in zip(reference, during):
        assert torch.equal(a, b)
    assert first.sparse_context.active is None  # restored


def test_deepcopy_gets_its_own_context():
    model = build_spark('resnet')
    twin = copy.deepcopy(model)
    assert twin.sparse_context is not model.sparse_context
    contexts = {id(m._sparse_context) for m in twin.modules() if is_sparse(m)}
    assert contexts == {id(twin.sparse_context)}


def test_context_restored_after_an_error():
    context = SparseContext()
    with pytest.raises(ZeroDivisionError):
        with context.activate(MASK[None, None]):
            1 / 0
    assert context.active is None


# ------------------------------------------------------------------------------------- loss
def hand_loss(pred, target, active, p):
    """The authors' ``SparK.forward`` loss, written out."""
    b, c = target.shape[:2]
    h, w = target.shape[2] // p, target.shape[3] // p

    def patches(x):
        return x.reshape(b, c, h, p, w, p).permute(0, 2, 4, 3, 5, 1).reshape(b, h * w, -1)

    t, r = patches(target), patches(pred)
    t = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True) + 1e-6)**.5
    per_patch = ((r - t)**2).mean(-1)
    masked = (~active).view(b, -1).float()
    return (per_patch * masked).sum() / masked.sum()


def test_loss_counts_masked_patches_only_and_matches_hand_computation():
    init_default_scope('mmpretrain')
    head = SparKPretrainHead(
        loss=dict(type='PixelReconstructionLoss', criterion='L2'), patch_size=4)
    torch.manual_seed(0)
    target, pred = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    active = torch.tensor([[[[1, 0], [0, 1]]], [[[0, 0], [1, 0]]]], dtype=torch.bool)
    loss = head(pred, target, active)
    torch.testing.assert_close(loss, hand_loss(pred, target, active, 4))
    # an active patch (sample 0, cell (0, 0)): prediction or target changes nothing
    changed = pred.clone()
    changed[0, :, :4, :4] += 5.
    assert torch.equal(head(changed, target, active), loss)
    changed_target = target.clone()
    changed_target[0, :, :4, :4] *= 3.
    assert torch.equal(head(pred, changed_target, active), loss)
    # a masked patch (sample 0, cell (0, 1)) does
    changed = pred.clone()
    changed[0, :, :4, 4:] += 5.
    assert head(changed, target, active) > loss


# ------------------------------------------------------------ inference, lists, bad input
def test_tensor_mode_and_extract_feat_need_no_mask():
    model = build_spark('convnext').eval()
    x = torch.randn(1, 3, 64, 64)
    feats = model(x, mode='tensor')
    assert [f.shape[1] for f in feats] == [8, 16, 32, 64]
    assert all(torch.equal(a, b) for a, b in zip(feats, model.extract_feat([x])))


def test_list_inputs():
    model = build_spark('resnet')
    x, y = torch.randn(2, 3, 128, 128), torch.randn(2, 3, 128, 128)
    torch.manual_seed(1)
    plain = model.loss(x, active_mask=MASK.expand(2, 1, 4, 4))['loss']
    single = model.loss([x], active_mask=MASK.expand(2, 1, 4, 4))['loss']
    assert torch.equal(plain, single)
    both = model.loss([x, y], active_mask=MASK.expand(4, 1, 4, 4))['loss']
    assert torch.equal(both, model.loss(torch.cat([x, y]), active_mask=MASK.expand(4, 1, 4, 4))
                       ['loss'])


def test_random_mask_keeps_the_right_number_of_cells():
    model = build_spark('resnet')
    mask = model.mask_generator(3, (7, 7))
    assert mask.shape == (3, 1, 7, 7)
    assert mask.view(3, -1).sum(1).tolist() == [round(49 * 0.4)] * 3


def test_unsupported_layer_names_the_module_and_leaves_model_dense():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Sequential(nn.GroupNorm(2, 4)))
    with pytest.raises(TypeError, match=r'1\.0 \(torch.*GroupNorm\)'):
        sparsify(model, SparseContext())
    assert type(model[0]) is nn.Conv2d
    with pytest.raises(TypeError, match='global adaptive'):
        sparsify(nn.AdaptiveAvgPool2d(2), SparseContext())


def test_bad_sizes_give_clear_errors():
    model = build_spark('resnet')
    with pytest.raises(ValueError, match='multiple of the mask cell'):
        model.loss(torch.randn(1, 3, 100, 128))
    with pytest.raises(ValueError, match='active_mask must have shape'):
        model.loss(torch.randn(1, 3, 128, 128), active_mask=MASK[None, None, :2])
    context = SparseContext()
    with context.activate(MASK[None, None]):
        with pytest.raises(ValueError, match='not a whole number of cells'):
            context.active_map(6, 8)
    cfg = spark_cfg('resnet')
    cfg['backbone']['out_indices'] = (1, 2, 3)
    cfg['head']['patch_size'] = 16
    with pytest.raises(ValueError, match='head.patch_size'):
        MODELS.build(cfg)


def test_reverted_sync_bn_is_refused_then_repaired():
    cfg = spark_cfg('resnet')
    cfg['densify_norm'] = 'syncbn'
    init_default_scope('mmvl')
    model = revert_sync_batchnorm(MODELS.build(cfg))
    x = torch.randn(2, 3, 64, 64)
    with pytest.raises(RuntimeError, match='densify_norms'):
        model.loss(x)
    sparsify(model.densify_norms, model.sparse_context)
    assert model.loss(x)['loss'] > 0
