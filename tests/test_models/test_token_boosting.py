# Copyright (c) mmvl contributors. All rights reserved.
"""TBM (Li et al., CVPR 2023): the Token Boosting Module and the ViTs that carry it."""
import pytest
import torch
import torch.nn.functional as F

from mmvl.models.backbones import TBMVisionTransformer, TBMViT
from mmvl.models.layers import GaussianTokenNoise, TokenBoostingModule
from mmvl.registry import MODELS
from mmvl.utils import register_all_modules

ARCH = dict(embed_dims=16, num_layers=3, num_heads=2, feedforward_channels=32)


def random_tbm(**kwargs):
    """A TBM whose autoencoder is not at its (identity) init, so g matters."""
    torch.manual_seed(0)
    tbm = TokenBoostingModule(16, ae_hidden=4, **kwargs)
    for p in tbm.parameters():
        p.data.normal_(0, 0.3)
    return tbm


def hand_g(tbm, noisy, residual=True):
    """g(I) = [I +] W2 GELU(W1 LN(I) + b1) + b2, written out."""
    ln = F.layer_norm(noisy, (16, ), tbm.ln.weight, tbm.ln.bias)
    hidden = F.gelu(ln @ tbm.ae[0].weight.T + tbm.ae[0].bias)
    out = hidden @ tbm.ae[2].weight.T + tbm.ae[2].bias
    return noisy + out if residual else out


@pytest.mark.parametrize('form', ['noisier2noise', 'reconstruction', 'extrapolate'])
@pytest.mark.parametrize('alpha_shape', ['channel', 'scalar', 'token'])
def test_output_combines_as_configured(form, alpha_shape):
    tbm = random_tbm(form=form, alpha_shape=alpha_shape, boost_weight=0.5)
    tokens, noise = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    if alpha_shape == 'token':
        alpha = tokens @ tbm.alpha.weight.T + tbm.alpha.bias  # 2 x 5 x 1
    else:
        alpha = tbm.alpha
    assert alpha.shape == {'channel': (16, ), 'scalar': (1, ), 'token': (2, 5, 1)}[alpha_shape]
    noisy = tokens + alpha * noise
    rec = hand_g(tbm, noisy)
    expected = {'noisier2noise': 2 * rec - noisy, 'reconstruction': rec,
                'extrapolate': rec + 0.5 * (rec - noisy)}[form]
    with torch.no_grad():
        assert torch.allclose(tbm(tokens, noise=noise), expected, atol=1e-5)


def test_non_residual_autoencoder():
    tbm = random_tbm(ae_residual=False)
    tokens, noise = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    noisy = tokens + tbm.alpha * noise
    rec = hand_g(tbm, noisy, residual=False)
    with torch.no_grad():
        assert torch.allclose(tbm(tokens, noise=noise), 2 * rec - noisy, atol=1e-5)


def test_fresh_residual_tbm_passes_the_noisy_tokens():
    """A fresh TBM (zero last layer) outputs I = F + alpha S for every form."""
    tokens, noise = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    for form in ('noisier2noise', 'reconstruction'):
        tbm = TokenBoostingModule(16, form=form, alpha_init=0.3)
        tbm.init_weights()
        assert torch.allclose(tbm(tokens, noise=noise), tokens + 0.3 * noise, atol=1e-6)


def test_noise_draw_is_injectable():
    tbm = random_tbm()
    tokens, noise = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    with torch.no_grad():
        by_argument = tbm(tokens, noise=noise)
        tbm.noise_sampler = lambda x: noise
        assert torch.equal(tbm(tokens), by_argument)
        # a seeded sampler repeats its sequence; the global generator does not steer it
        tbm.noise_sampler = GaussianTokenNoise(seed=3)
        torch.manual_seed(0)
        first = tbm(tokens)
        tbm.noise_sampler = GaussianTokenNoise(seed=3)
        torch.manual_seed(1)
        assert torch.equal(tbm(tokens), first)
        assert not torch.allclose(first, by_argument)


def test_eval_modes():
    tokens = torch.randn(2, 5, 16)
    with torch.no_grad():
        tbm = random_tbm(eval_mode='no_noise').eval()
        rec = hand_g(tbm, tokens)
        out = tbm(tokens)
        assert torch.allclose(out, 2 * rec - tokens, atol=1e-5)  # S = 0
        assert torch.equal(tbm(tokens), out)  # deterministic
        tbm = random_tbm(eval_mode='identity').eval()
        assert torch.equal(tbm(tokens), tokens)
        tbm = random_tbm(eval_mode='noisy', noise_seed=5).eval()
        noisy_out = tbm(tokens)
        assert not torch.allclose(noisy_out, out)
        expected = tbm(tokens, noise=torch.randn(tokens.shape,
                                                 generator=torch.Generator().manual_seed(5)))
        assert torch.allclose(noisy_out, expected)
        # in training the noise is always drawn
        tbm = random_tbm(eval_mode='identity').train()
        assert not torch.allclose(tbm(tokens), tokens)


def test_bad_options_are_named():
    for kwargs, word in ((dict(form='sum'), 'form'), (dict(alpha_shape='pixel'), 'alpha_shape'),
                         (dict(eval_mode='off'), 'eval_mode')):
        with pytest.raises(ValueError, match=word):
            TokenBoostingModule(16, **kwargs)
    with pytest.raises(ValueError, match='tbm_layers'):
        TBMViT(tbm_layers=(3, ), arch=ARCH, img_size=32, patch_size=8)
    with pytest.raises(ValueError, match='tbm_position'):
        TBMViT(tbm_layers=(0, ), tbm_position='inside', arch=ARCH, img_size=32, patch_size=8)


def tiny_mae(**tbm_kwargs):
    register_all_modules()
    cfg = dict(
        type='mmpretrain.MAE',
        _scope_='mmpretrain',
        backbone=dict(type='mmvl.TBMViT', arch=ARCH, img_size=32, patch_size=8, mask_ratio=0.75,
                      tbm_layers=(0, 2), tbm_cfg=tbm_kwargs),
        neck=dict(type='MAEPretrainDecoder', num_patches=16, patch_size=8, in_chans=3,
                  embed_dim=16, decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=8,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        init_cfg=[dict(type='Xavier', layer='Linear', distribution='uniform'),
                  dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)])
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('alpha_shape', ['channel', 'scalar', 'token'])
def test_noise_scale_is_learned_through_the_mae_loss(alpha_shape):
    torch.manual_seed(0)
    model = tiny_mae(alpha_shape=alpha_shape)
    tbm = model.backbone.tbms['0']
    # the residual autoencoder starts as the identity even after MAE's Xavier init
    assert torch.count_nonzero(tbm.ae[2].weight) == 0
    alpha = tbm.alpha.bias if alpha_shape == 'token' else tbm.alpha
    before = alpha.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model.loss(torch.randn(2, 3, 32, 32), [])['loss']
    loss.backward()
    assert alpha.grad is not None and alpha.grad.abs().sum() > 0
    assert tbm.ae[2].weight.grad.abs().sum() > 0  # g is trained by the same loss
    optimizer.step()
    assert not torch.allclose(alpha.detach(), before)


def record_layer_io(backbone):
    """Inputs and (un-boosted: the hook runs before the TBM's) outputs of every encoder layer."""
    record = {}
    for i, layer in enumerate(backbone.layers):
        layer.register_forward_pre_hook(
            lambda m, args, i=i: record.__setitem__(('in', i), args[0].clone()))
        layer.register_forward_hook(
            lambda m, args, out, i=i: record.__setitem__(('out', i), out.clone()), prepend=True)
    return record


@pytest.mark.parametrize('mask', [True, None])
def test_tbms_sit_after_the_configured_layers_only(mask):
    torch.manual_seed(0)
    backbone = TBMViT(tbm_layers=(1, ), arch=ARCH, img_size=32, patch_size=8,
                      tbm_cfg=dict(eval_mode='no_noise'))
    backbone.init_weights()
    for p in backbone.tbms.parameters():
        p.data.normal_(0, 0.3)
    assert list(backbone.tbms) == ['1']
    backbone.eval()
    record = record_layer_io(backbone)
    with torch.no_grad():
        backbone(torch.randn(2, 3, 32, 32), mask=mask)
        tbm = backbone.tbms['1']
        assert torch.equal(record['in', 1], record['out', 0])  # no TBM after layer 0
        assert not torch.allclose(record['in', 2], record['out', 1])
        assert torch.allclose(record['in', 2], tbm(record['out', 1]), atol=1e-6)


def test_tbm_before_a_layer_boosts_its_input():
    torch.manual_seed(0)
    backbone = TBMViT(tbm_layers=(2, ), tbm_position='before', arch=ARCH, img_size=32,
                      patch_size=8)
    for p in backbone.tbms.parameters():
        p.data.normal_(0, 0.3)
    backbone.eval()
    seen = {}
    backbone.layers[1].register_forward_hook(lambda m, a, out: seen.__setitem__('out1', out))
    backbone.layers[2].register_forward_hook(lambda m, a, out: seen.__setitem__('in2', a[0]))
    # (a forward hook sees the input after the pre-hooks, i.e. after the TBM)
    with torch.no_grad():
        backbone(torch.randn(1, 3, 32, 32))
        assert torch.allclose(seen['in2'], backbone.tbms['2'](seen['out1']), atol=1e-6)


def test_downstream_vit_loads_the_pretraining_backbone_and_freezes_its_tbms():
    torch.manual_seed(0)
    pre = TBMViT(tbm_layers=(0, 2), arch=ARCH, img_size=32, patch_size=8)
    for p in pre.tbms.parameters():
        p.data.normal_(0, 0.3)
    down = TBMVisionTransformer(tbm_layers=(0, 2), arch=ARCH, img_size=32, patch_size=8,
                                out_type='raw', frozen_stages=1)
    down.load_state_dict(pre.state_dict(), strict=True)
    pre.eval(), down.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(pre(x, mask=None)[0], down(x)[0], atol=1e-6)
    # TBM 0 belongs to the frozen stage 1: no gradient, no noise even in train mode
    down.train()
    assert not down.tbms['0'].training and down.tbms['2'].training
    assert not any(p.requires_grad for p in down.tbms['0'].parameters())
    assert all(p.requires_grad for p in down.tbms['2'].parameters())
    # layer-wise decay puts TBM i at the depth of layer i
    assert down.get_layer_depth('backbone.tbms.2.alpha', 'backbone.') == (3, 5)
    assert down.get_layer_depth('backbone.layers.2.ln1.weight', 'backbone.') == (3, 5)


def test_pretrained_init_keeps_the_loaded_tbms(tmp_path):
    torch.manual_seed(0)
    pre = TBMViT(tbm_layers=(1, ), arch=ARCH, img_size=32, patch_size=8)
    for p in pre.tbms.parameters():
        p.data.normal_(0, 0.3)
    path = str(tmp_path / 'pre.pth')
    torch.save({'state_dict': {'backbone.' + k: v for k, v in pre.state_dict().items()}}, path)
    down = TBMVisionTransformer(
        tbm_layers=(1, ), arch=ARCH, img_size=32, patch_size=8,
        init_cfg=dict(type='Pretrained', checkpoint=path, prefix='backbone.'))
    down.init_weights()
    for key, value in pre.tbms.state_dict().items():
        assert torch.equal(down.tbms.state_dict()[key], value), key
