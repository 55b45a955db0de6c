"""SparK's mechanisms, each checked by its behaviour: sparse layers see visible positions only
(a masked image equals the dense model on its visible crop; masked pixels cannot move a visible
output), sparse BN statistics, the dense path with no mask, per-model masks, the masked-patch
loss against a hand computation, list inputs and ``mode='tensor'``."""
import copy
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model.utils import _BatchNormXd, revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmpretrain.models import ConvNeXt, ResNet, SEResNet, SparKPretrainHead
from torch import nn

from mmvl.models.layers import SparseContext, sparsify
from mmvl.models.layers.sparse_modules import SPATIAL_TYPES, SparseBatchNorm2d, is_sparse
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
    convnext_arch = dict(depths=[1, 1, 2, 1], channels=[8, 16, 32, 64])
    backbones = {
        'resnet': dict(type='mmpretrain.ResNet', depth=18, stem_channels=8, base_channels=8,
                       out_indices=(0, 1, 2, 3), _scope_='mmpretrain'),
        'seresnet': dict(type='mmpretrain.SEResNet', depth=50, stem_channels=8,
                         base_channels=8, out_indices=(0, 1, 2, 3), _scope_='mmpretrain'),
        'convnext': dict(type='mmpretrain.ConvNeXt', arch=convnext_arch,
                         out_indices=(0, 1, 2, 3), gap_before_final_norm=False,
                         _scope_='mmpretrain'),
        'convnext-v2': dict(type='mmpretrain.ConvNeXt', arch=convnext_arch, use_grn=True,
                            out_indices=(0, 1, 2, 3), gap_before_final_norm=False,
                            _scope_='mmpretrain'),
    }
    is_convnext = backbone.startswith('convnext')
    return dict(
        type='SparK',
        downsample_ratio=32,
        densify_norm='ln' if is_convnext else 'bn',
        backbone_identity=('norm0', 'norm1', 'norm2', 'norm3') if is_convnext else (),
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


@pytest.mark.parametrize('name', ['resnet', 'seresnet', 'convnext', 'convnext-v2'])
def test_every_sparse_layer_is_zero_at_masked_positions(name):
    """Each sparse layer's own output, at every depth, is exactly zero at masked positions
    (SparK.loss zeroes masked pixels first, so a leak inside one layer would not show in the
    backbone's outputs unless it reached a masked position). Channel-last outputs (ConvNeXt's
    pointwise linears, norms and GRN called with data_format='channel_last') are read as such;
    1 x 1 outputs of a 4 x 4 grid are global features (SE) and are skipped."""
    model = build_spark(name)
    outputs = []

    def hook(module, args, kwargs, out):
        out = out[0] if isinstance(out, tuple) else out
        channel_last = isinstance(module, nn.Linear) or kwargs.get(
            'data_format', args[1] if len(args) > 1 else None) == 'channel_last'
        outputs.append((module, out.permute(0, 3, 1, 2) if channel_last else out))

    names = {}
    for path, module in model.backbone.named_modules():
        if is_sparse(module):
            names[module] = path
            module.register_forward_hook(hook, with_kwargs=True)
    active = MASK.expand(2, 1, 4, 4)
    model.loss(torch.randn(2, 3, 128, 128), active_mask=active)
    checked = set()
    for module, out in outputs:
        if out.dim() != 4 or out.shape[-2:] == (1, 1):
            continue
        visible = upsample(active, out.shape[-1]).expand_as(out)
        assert out[~visible].abs().max() == 0, names[module]
        assert out[visible].abs().sum() > 0, names[module]
        checked.add(names[module])
    shallow_and_deep = {
        'resnet': {'conv1', 'maxpool', 'layer1.0.conv1', 'layer4.1.bn2'},
        'seresnet': {'conv1', 'layer1.0.conv1', 'layer4.2.bn3', 'layer4.0.downsample.1'},
        'convnext': {'downsample_layers.0.0', 'stages.0.0.norm', 'stages.3.0.pointwise_conv2'},
        'convnext-v2': {'downsample_layers.3.1', 'stages.3.0.pointwise_conv2'},
    }[name]
    assert shallow_and_deep <= checked
    if name == 'convnext-v2':
        assert 'stages.2.1.grn' in checked
    if name == 'seresnet':
        assert 'layer4.2.se_layer.conv1.conv' not in checked  # global 1 x 1: dense
    assert len(checked) == len({p for m, p in names.items()
                                if not isinstance(m, nn.AdaptiveAvgPool2d)
                                and '.se_layer.' not in p})


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


def test_spark_loss_counts_masked_cells_only():
    """Through SparK.loss (pins the mask polarity SparK hands the head): changing the
    reconstruction inside a visible cell leaves the loss unchanged, inside a masked cell it
    does not. MASK: cell (0, 0) visible, cell (0, 1) masked."""
    model = build_spark('resnet')
    images = torch.randn(2, 3, 128, 128)
    active = MASK.expand(2, 1, 4, 4)
    assert MASK[0, 0] and not MASK[0, 1]
    delta = torch.zeros(1, 3, 128, 128)
    handle = model.neck.register_forward_hook(lambda m, args, out: out + delta)
    reference = model.loss(images, active_mask=active)['loss']
    delta[..., :32, :32] = 5.  # visible cell
    assert torch.equal(model.loss(images, active_mask=active)['loss'], reference)
    delta.zero_()
    delta[..., :32, 32:64] = 5.  # masked cell
    assert model.loss(images, active_mask=active)['loss'] > reference + 1.
    handle.remove()


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


class _Records(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged():
    logger = MMLogger.get_current_instance()
    records = _Records()
    logger.addHandler(records)
    yield records.messages
    logger.removeHandler(records)


def sparse_state(model):
    """(path, sparse and attached to this model's context) of every spatial layer."""
    return {f'{prefix}.{name}': is_sparse(m) and m._sparse_context is model.sparse_context
            for prefix, part in (('backbone', model.backbone),
                                 ('densify_norms', model.densify_norms))
            for name, m in part.named_modules() if isinstance(m, SPATIAL_TYPES)}


def test_reverted_sync_bn_is_repaired_with_one_warning(warnings_logged):
    cfg = spark_cfg('resnet')
    cfg['densify_norm'] = 'syncbn'
    init_default_scope('mmvl')
    model = revert_sync_batchnorm(MODELS.build(cfg))
    assert type(model.densify_norms[0]) is _BatchNormXd
    assert not all(sparse_state(model).values())
    x = torch.randn(2, 3, 64, 64)
    assert model.loss(x)['loss'] > 0
    assert all(sparse_state(model).values())
    assert type(model.densify_norms[0]) is SparseBatchNorm2d
    assert len(warnings_logged) == 1 and 'densify_norms.0' in warnings_logged[0]
    model.loss(x)
    assert len(warnings_logged) == 1  # repaired once
    # a replacement with no sparse version stays an error, and changes nothing
    model.backbone.layer1[0].bn1 = nn.GroupNorm(2, 8)
    model.densify_norms[1] = nn.BatchNorm2d(model.densify_norms[1].num_features)
    with pytest.raises(RuntimeError, match='GroupNorm'):
        model.loss(x)
    assert type(model.densify_norms[1]) is nn.BatchNorm2d


def test_runner_reverted_syncbn_spark_trains_sparse(warnings_logged):
    """A SparK with SyncBN in backbone, densify and decoder (the ResNet configs), reverted as
    mmengine's Runner.wrap_model does in a non-distributed run: loss() works, every layer is
    sparse again and the backbone's outputs are zero at masked positions."""
    cfg = spark_cfg('resnet')
    cfg['densify_norm'] = 'syncbn'
    cfg['backbone']['norm_cfg'] = dict(type='SyncBN')
    cfg['neck']['norm_cfg'] = dict(type='SyncBN')
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert isinstance(model.backbone.bn1, nn.SyncBatchNorm) and is_sparse(model.backbone.bn1)
    model = revert_sync_batchnorm(model)  # Runner.wrap_model without a launcher
    model.train()
    feats = []
    model.backbone.register_forward_hook(lambda m, args, out: feats.append(out))
    active = MASK.expand(2, 1, 4, 4)
    images = torch.randn(2, 3, 128, 128)
    loss = model.loss(images, active_mask=active)['loss']
    assert torch.isfinite(loss) and loss > 0
    assert all(sparse_state(model).values())
    assert type(model.backbone.bn1) is SparseBatchNorm2d
    assert len(warnings_logged) == 1
    for feat in feats[0]:
        visible = upsample(active, feat.shape[-1]).expand_as(feat)
        assert feat[~visible].abs().max() == 0
        assert feat[visible].abs().sum() > 0
    # the masked content still cannot reach a visible output
    noise = torch.randn_like(images) * 10 * ~upsample(active, 128)
    model.loss(images + noise, active_mask=active)
    assert all(torch.equal(a, b) for a, b in zip(feats[0], feats[1]))
