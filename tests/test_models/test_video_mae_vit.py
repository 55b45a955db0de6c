# Copyright (c) mmvl contributors. All rights reserved.
"""Video encoders (tubelets, tube masking, hybrid masked convs), 3-D patchify and the video
MAE decoder / pixel head, on toy sizes (8 frames, 32 px, 8 px patches: a 4 x 4 x 4 grid)."""
import pytest
import torch
from mmpretrain.models.necks import MAEPretrainDecoder

from mmvl.models.backbones import (VideoConvMAEViT, VideoConvViT, VideoMAEViT, VideoViT,
                                   sincos_pos_embed)
from mmvl.models.selfsup import (VideoMAEPretrainDecoder, VideoMAEPretrainHead, patchify_3d,
                                 unpatchify_3d)

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
TOY = dict(arch=ARCH, img_size=32, num_frames=8, patch_size=8, tubelet_size=2)
HYBRID = dict(TOY, conv_dims=(8, 16), conv_depths=(1, 1), conv_strides=(2, 2, 2))
GRID = (4, 4, 4)


def _encoder(cls=VideoMAEViT, **kwargs):
    torch.manual_seed(0)
    model = cls(**{**(HYBRID if 'Conv' in cls.__name__ else TOY), **kwargs})
    model.init_weights()
    return model.eval()


def _pixel_mask(token_mask):
    """B x L token mask -> B x 1 x T x H x W pixel mask (1 = hidden)."""
    b = token_mask.shape[0]
    m = token_mask.view(b, 4, 1, 4, 1, 4, 1).expand(-1, -1, 2, -1, 8, -1, 8)
    return m.reshape(b, 1, 8, 32, 32)


def test_sincos_pos_embed_is_fixed_and_distinct():
    table = sincos_pos_embed(GRID, 32)
    assert table.shape == (64, 32)
    assert torch.cdist(table, table).add(torch.eye(64)).min() > 1e-3  # every token differs
    # the time part changes only with t, the row/column parts only with h/w
    grid = table.view(4, 4, 4, 32)
    assert torch.equal(grid[:, :, :, :12], grid[:, :1, :1, :12].expand(-1, 4, 4, -1))
    assert not torch.equal(grid[0, 0, 0, :12], grid[1, 0, 0, :12])
    assert torch.equal(grid[0, 1, 2, 12:], grid[3, 1, 2, 12:])
    model = _encoder()
    assert not model.pos_embed.requires_grad
    assert torch.allclose(model.pos_embed[0], table)
    with pytest.raises(ValueError, match='pos_embed_type'):
        sincos_pos_embed(GRID, 32, 'learned')


@pytest.mark.parametrize('mask_unit', [1, 2])
def test_tube_mask_is_the_same_for_every_time_step(mask_unit):
    model = _encoder(mask_ratio=0.75, mask_unit=mask_unit)
    mask, ids_restore, ids_keep = model.tube_mask(3, torch.device('cpu'))
    per_time = mask.view(3, 4, 16)
    assert torch.equal(per_time, per_time[:, :1].expand(-1, 4, -1))
    units = 16 // mask_unit**2
    kept_units = int(units * 0.25)
    assert (per_time[:, 0] == 0).sum(1).tolist() == [kept_units * mask_unit**2] * 3
    if mask_unit == 2:  # whole 2 x 2 blocks are hidden together
        spatial = per_time[:, 0].view(3, 2, 2, 2, 2)
        assert torch.equal(spatial, spatial[:, :, :1, :, :1].expand(-1, -1, 2, -1, 2))
    # kept ids are the visible tokens in (t, h, w) order; ids_restore undoes the shuffle
    assert torch.equal(mask.gather(1, ids_keep), torch.zeros_like(ids_keep, dtype=mask.dtype))
    assert (ids_keep.diff(dim=1) > 0).all()
    shuffled = torch.cat([ids_keep, torch.zeros(3, 64 - ids_keep.shape[1], dtype=torch.long)], 1)
    assert torch.equal(shuffled.gather(1, ids_restore)[mask == 0], ids_keep.flatten())


def test_injected_noise_decides_the_kept_units():
    model = _encoder(mask_ratio=0.75)
    noise = torch.arange(16.).flip(0)[None]  # the smallest noise is at the last units
    mask, _, _ = model.tube_mask(1, torch.device('cpu'), noise)
    assert torch.nonzero(mask.view(4, 16)[0] == 0).flatten().tolist() == [12, 13, 14, 15]
    model.draw_noise = lambda b, device: noise.expand(b, -1)  # the replaceable draw
    latent, mask2, _ = model(torch.randn(2, 3, 8, 32, 32))
    assert torch.equal(mask2[0], mask[0]) and latent.shape == (2, 1 + 16, 32)
    with pytest.raises(ValueError, match='noise must have shape'):
        model.tube_mask(1, torch.device('cpu'), torch.rand(1, 5))


@pytest.mark.parametrize('cls', [VideoMAEViT, VideoConvMAEViT])
def test_hidden_tubelets_do_not_reach_the_encoder(cls):
    model = _encoder(cls, mask_ratio=0.75)
    clips = torch.randn(2, 3, 8, 32, 32)
    noise = torch.rand(2, 16)
    latent, mask, _ = model(clips, noise=noise)
    hidden = _pixel_mask(mask)
    changed_hidden = clips + hidden * torch.randn_like(clips) * 3
    assert torch.equal(model(changed_hidden, noise=noise)[0], latent)
    changed_visible = clips + (1 - hidden) * torch.randn_like(clips) * 3
    assert not torch.allclose(model(changed_visible, noise=noise)[0], latent)


@pytest.mark.parametrize('cls', [VideoMAEViT, VideoConvMAEViT])
def test_mask_ratio_zero_keeps_all_tokens_in_order(cls):
    model = _encoder(cls, mask_ratio=0., final_norm=False)
    clips = torch.randn(2, 3, 8, 32, 32)
    latent, mask, ids_restore = model(clips)
    assert latent.shape == (2, 65, 32) and not mask.any()
    assert torch.equal(ids_restore, torch.arange(64).expand(2, -1))
    # the masked forward without masking equals the plain (raw) encoder forward
    assert torch.allclose(model(clips, mask=False)[0], latent, atol=1e-6)


@pytest.mark.parametrize('pre_cls, ft_cls', [(VideoMAEViT, VideoViT),
                                             (VideoConvMAEViT, VideoConvViT)])
def test_finetune_encoder_loads_pretrained_names_and_mean_pools(pre_cls, ft_cls):
    pre = _encoder(pre_cls)
    ft = ft_cls(**{**(HYBRID if 'Conv' in ft_cls.__name__ else TOY), 'final_norm': False,
                   'out_type': 'avg_featmap'})
    missing, unexpected = ft.load_state_dict(pre.state_dict(), strict=False)
    assert set(missing) == {'ln2.weight', 'ln2.bias'} and set(unexpected) == {'ln1.weight',
                                                                               'ln1.bias'}
    ft.eval()
    clips = torch.randn(2, 3, 8, 32, 32)
    feat = ft(clips)[0]
    assert feat.shape == (2, 32)
    ft.out_type = 'raw'
    raw = ft(clips)[0]
    assert torch.allclose(feat, ft.ln2(raw[:, 1:].mean(1)))


def test_frozen_encoder_has_no_gradients_and_stays_in_eval():
    model = VideoViT(**TOY, frozen=True, out_type='avg_featmap', drop_path_rate=0.5)
    model.train()
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    hybrid = VideoConvViT(**HYBRID, frozen=True)
    assert not any(p.requires_grad for p in hybrid.parameters())


def test_layer_depth_for_layer_decay():
    model = _encoder(VideoConvMAEViT)
    depth = model.get_layer_depth
    assert depth('backbone.pos_embed', 'backbone.') == (0, 4)
    assert depth('backbone.stage1_blocks.0.dwconv.weight', 'backbone.') == (0, 4)
    assert depth('backbone.layers.1.attn.qkv.weight', 'backbone.') == (2, 4)
    assert depth('backbone.ln1.weight', 'backbone.') == (3, 4)


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match='mask_ratio'):
        VideoMAEViT(**TOY, mask_ratio=1.0)
    with pytest.raises(ValueError, match='masking units'):
        VideoMAEViT(**TOY, mask_unit=3)
    with pytest.raises(ValueError, match='unknown arch'):
        VideoViT(arch='huge')
    with pytest.raises(ValueError, match='conv_strides'):
        VideoConvViT(**dict(HYBRID, conv_strides=(4, 2, 2)))
    with pytest.raises(ValueError, match='expects clips'):
        _encoder()(torch.randn(1, 3, 4, 32, 32))


def test_patchify_3d_round_trip_and_token_order():
    clips = torch.randn(2, 3, 8, 32, 24)
    tokens = patchify_3d(clips, 8, 2)
    assert tokens.shape == (2, 4 * 4 * 3, 2 * 8 * 8 * 3)
    assert torch.equal(unpatchify_3d(tokens, (4, 4, 3), 8, 2), clips)
    # token (t=1, h=2, w=0) holds frames 2-3, rows 16-23, columns 0-7, as (frame, row, col, c)
    index = 1 * 12 + 2 * 3 + 0
    expected = clips[0, :, 2:4, 16:24, 0:8].permute(1, 2, 3, 0).flatten()
    assert torch.equal(tokens[0, index], expected)
    with pytest.raises(ValueError, match='tubelets'):
        patchify_3d(torch.randn(1, 3, 7, 32, 32), 8, 2)


def test_patchify_order_matches_the_tubelet_embedding():
    model = _encoder()
    clips = torch.randn(1, 3, 8, 32, 32)
    weight = model.patch_embed.weight  # C_out x 3 x 2 x 8 x 8
    flat = weight.permute(0, 2, 3, 4, 1).reshape(32, -1)  # (frame, row, col, c) order
    by_patchify = patchify_3d(clips, 8, 2) @ flat.T + model.patch_embed.bias
    by_conv = model.patch_embed(clips).flatten(2).transpose(1, 2)
    assert torch.allclose(by_patchify, by_conv, atol=1e-5)


@pytest.mark.parametrize('pix_norm', ['tubelet', 'tubelet_per_channel'])
def test_pixel_head_normalises_tubelets_and_scores_hidden_tokens_only(pix_norm):
    head = VideoMAEPretrainHead(
        loss=dict(type='mmpretrain.PixelReconstructionLoss', criterion='L2'), patch_size=8,
        tubelet_size=2, pix_norm=pix_norm)
    clips = torch.rand(2, 3, 8, 32, 32) * 5 + 3
    target = head.construct_target(clips)
    groups = target.view(2, 64, -1, 3) if pix_norm == 'tubelet_per_channel' else target[..., None]
    dim = -2
    assert torch.allclose(groups.mean(dim), torch.zeros(1), atol=1e-4)
    assert torch.allclose(groups.var(dim), torch.ones(1), atol=1e-3)
    mask = torch.zeros(2, 64)
    mask[:, :10] = 1
    pred = torch.randn(2, 64, 384)
    loss = head.loss(pred, clips, mask)
    assert torch.allclose(loss, ((pred - target)**2).mean(-1)[:, :10].mean())
    pred2 = pred.clone()
    pred2[:, 10:] += 100  # visible tokens are not scored
    assert torch.equal(head.loss(pred2, clips, mask), loss)
    assert torch.equal(head.unpatchify(head.patchify(clips), GRID), clips)


def test_video_decoder_restores_order_with_a_space_time_table():
    decoder = VideoMAEPretrainDecoder(
        token_grid=GRID, patch_size=8, tubelet_size=2, embed_dim=32, decoder_embed_dim=16,
        decoder_depth=1, decoder_num_heads=2)
    decoder.init_weights()
    assert decoder.decoder_pred.out_features == 2 * 8 * 8 * 3
    assert torch.equal(decoder.decoder_pos_embed[0, 0], torch.zeros(16))
    assert torch.allclose(decoder.decoder_pos_embed[0, 1:], sincos_pos_embed(GRID, 16))
    model = _encoder(mask_ratio=0.75)
    latent, mask, ids_restore = model(torch.randn(2, 3, 8, 32, 32))
    assert decoder(latent, ids_restore).shape == (2, 64, 384)
    feature = VideoMAEPretrainDecoder(
        token_grid=GRID, patch_size=8, embed_dim=32, decoder_embed_dim=16, decoder_depth=1,
        decoder_num_heads=2, predict_feature_dim=32)
    assert feature(latent, ids_restore).shape == (2, 64, 32)


def test_video_decoder_init_on_a_non_square_grid():
    """2 x 3 x 4 = 24 tokens (not a square): mmpretrain's 2-D table would not fit; the
    space-time table is written and the mask token is drawn from N(0, 0.02)."""
    grid = (2, 3, 4)
    decoder = VideoMAEPretrainDecoder(
        token_grid=grid, patch_size=8, tubelet_size=2, embed_dim=32, decoder_embed_dim=16,
        decoder_depth=1, decoder_num_heads=2)
    decoder.mask_token.data.zero_()
    decoder.init_weights()
    assert decoder.decoder_pos_embed.shape == (1, 25, 16)
    assert torch.equal(decoder.decoder_pos_embed[0, 0], torch.zeros(16))
    assert torch.allclose(decoder.decoder_pos_embed[0, 1:], sincos_pos_embed(grid, 16))
    assert decoder.mask_token.abs().sum() > 0 and decoder.mask_token.std() < 0.1


XAVIER = [
    dict(type='Xavier', layer='Linear', distribution='uniform'),
    dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
]


def _decoders(**kwargs):
    """mmpretrain's MAEPretrainDecoder and the video decoder on a 1 x 4 x 4 grid (16 tokens,
    square, so mmpretrain's 2-D table fits), built and initialised from the same seed."""
    args = dict(patch_size=4, in_chans=3, embed_dim=32, decoder_embed_dim=16, decoder_depth=2,
                decoder_num_heads=2, predict_feature_dim=48, **kwargs)
    decoders = []
    for build in (lambda: MAEPretrainDecoder(num_patches=16, **args),
                  lambda: VideoMAEPretrainDecoder(token_grid=(1, 4, 4), tubelet_size=1, **args)):
        torch.manual_seed(3)
        decoder = build()
        decoder.init_weights()
        decoders.append(decoder)
    return decoders


@pytest.mark.parametrize('init_cfg', [None, XAVIER])
def test_video_decoder_initialises_like_mmpretrains_decoder(init_cfg):
    """Every weight but the position table equals mmpretrain's decoder's from the same seed:
    the same init_cfg handling (mmpretrain 1.2.0's decoder has no linear init of its own; its
    MAE configs, as ours, give Xavier / unit-LayerNorm init at model level), the same layer
    init and the same N(0, 0.02) mask-token draw after it."""
    image, video = _decoders(init_cfg=init_cfg)
    video_params = dict(video.named_parameters())
    assert video_params.keys() == dict(image.named_parameters()).keys()
    for name, param in image.named_parameters():
        if name != 'decoder_pos_embed':
            assert torch.equal(video_params[name], param), name
    assert not torch.equal(video.decoder_pos_embed, image.decoder_pos_embed)
    assert video.mask_token.abs().sum() > 0


def test_video_decoder_with_the_configs_init_is_xavier():
    """With the configs' init: linears xavier-uniform (filling +-sqrt(6 / (fan_in +
    fan_out)), biases ~0 where PyTorch's default draws them), LayerNorms 1 and 0."""
    _, decoder = _decoders(init_cfg=XAVIER)
    linears = [m for m in decoder.modules() if isinstance(m, torch.nn.Linear)]
    norms = [m for m in decoder.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert len(linears) == 2 + 2 * 4 and len(norms) == 2 * 2 + 1
    for linear in linears:
        fan_out, fan_in = linear.weight.shape
        bound = (6 / (fan_in + fan_out))**.5
        assert 0.8 * bound < linear.weight.abs().max() <= bound
        assert abs(linear.weight.std() * 3**.5 / bound - 1) < 0.2
        assert linear.bias.abs().max() < 1e-4
    for norm in norms:
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)


def test_video_vit_init_cfg_list(tmp_path):
    """A list init_cfg is applied; a list holding a Pretrained entry keeps the loaded cls
    token and tubelet projection instead of re-drawing them."""
    model = VideoViT(**TOY, init_cfg=[dict(type='Constant', layer='LayerNorm', val=0.5)])
    model.init_weights()
    assert torch.all(model.ln1.weight == 0.5)
    assert model.cls_token.abs().sum() > 0  # the MAE-style cls init ran

    source = _encoder(VideoViT)
    torch.save({'state_dict': source.state_dict()}, tmp_path / 'enc.pth')
    loaded = VideoViT(
        **TOY, init_cfg=[dict(type='Pretrained', checkpoint=str(tmp_path / 'enc.pth'))])
    loaded.init_weights()
    assert torch.equal(loaded.cls_token, source.cls_token)
    assert torch.equal(loaded.patch_embed.weight, source.patch_embed.weight)
