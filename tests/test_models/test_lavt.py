"""LAVT-style RES, each mechanism checked by its behaviour: pixel-word attention over the
real words only, the language gate's formula, early fusion feeding the next stage, the loss
reaching every part, predictions mapped back to the original image, and the data contract."""
import pytest
import torch
from mmengine.registry import init_default_scope

from mmvl.models.segmentors import LAVT, LanguageGate, PixelWordAttention
from mmvl.registry import MODELS
from mmvl.testing import demo_det_batch

EXPRESSION = 'the red circle left of the star'


def tiny_lavt_cfg(**overrides):
    cfg = dict(
        type='LAVT',
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=16, out_indices=(0, 1, 2, 3),
                      frozen_stages=-1, norm_eval=False, init_cfg=None),
        language_model=dict(type='TextEncoder', name='all-MiniLM-L6-v2', max_tokens=20,
                            pad_to_max=False),
        decoder=dict(type='LAVTDecoder', channels=16))
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope='module')
def lavt():
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_lavt_cfg())
    model.init_weights()
    return model


def ref_batch(model, shapes=((3, 96, 128), (3, 128, 96)), training=True, texts=None):
    """One referred object per image, as the toy world's grounding samples."""
    data = demo_det_batch(model, image_shapes=shapes, training=training)
    texts = texts or [EXPRESSION, 'star'][:len(shapes)]
    for sample, text in zip(data['data_samples'], texts):
        sample.set_metainfo(dict(task='grounding', text=text))
        sample.gt_instances = sample.gt_instances[:1]
        sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
    return data


# ----------------------------------------------------------------- fusion modules
def test_pixel_word_attention_attends_only_to_real_words():
    torch.manual_seed(0)
    pwam = PixelWordAttention(visual_channels=16, text_channels=8).eval()
    visual, words = torch.randn(2, 16, 5, 7), torch.randn(2, 6, 8)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
    out = pwam(visual, words, mask)
    assert out.shape == visual.shape

    padded = words.clone()
    padded[0, 4:] = 100 * torch.randn(2, 8)
    assert torch.equal(pwam(visual, padded, mask), out)

    real = words.clone()
    real[0, 1] = torch.randn(8)
    changed = pwam(visual, real, mask)
    assert not torch.allclose(changed[0], out[0])
    assert torch.equal(changed[1], out[1])  # per image


def test_language_gate_formula():
    torch.manual_seed(0)
    gate = LanguageGate(channels=4)
    visual, fused = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 3, 3)
    w1 = gate.gate[0].weight[:, :, 0, 0]
    w2 = gate.gate[2].weight[:, :, 0, 0]
    hidden = torch.einsum('oc,bchw->bohw', w1, fused).relu()
    expected = visual + torch.einsum('oc,bchw->bohw', w2, hidden).tanh() * fused
    torch.testing.assert_close(gate(visual, fused), expected)
    # no multimodal signal, no change of the visual stream (the convs have no bias)
    assert torch.equal(gate(visual, torch.zeros_like(fused)), visual)
    # LAVT's initialisation: the gate is open from the start, not an identity
    assert not torch.allclose(gate(visual, fused), visual)


# ----------------------------------------------------------------- the model
def test_stage_widths_and_early_fusion(lavt):
    """Widths are read off the backbone; each stage reads the previous stage's fused map."""
    assert [f.visual[0].in_channels for f in lavt.fusions] == [16, 32, 64, 128]
    assert len(lavt.gates) == 3  # nothing reads the last stage's gated map
    assert lavt.decoder.in_channels == (16, 32, 64, 128)
    lavt.eval()
    data = ref_batch(lavt, training=False)
    other = [s.clone() for s in data['data_samples']]
    for sample in other:
        sample.set_metainfo(dict(text='the blue square'))
    stage2_inputs = []
    hook = lavt.backbone.layer2.register_forward_hook(
        lambda module, args, out: stage2_inputs.append(args[0]))
    with torch.no_grad():
        feats = lavt.extract_feat(data['inputs'], data['data_samples'])
        other_feats = lavt.extract_feat(data['inputs'], other)
        logits = lavt(data['inputs'], data['data_samples'], mode='tensor')
    hook.remove()
    # the expression changes what stage 2 sees, not only the fused maps
    assert not torch.allclose(stage2_inputs[0], stage2_inputs[1])
    assert all(not torch.allclose(x, y) for x, y in zip(feats, other_feats))
    assert logits.shape == (2, 1) + tuple(s // 4 for s in data['inputs'].shape[-2:])
    lavt.train()


def test_loss_is_finite_and_reaches_every_part(lavt):
    lavt.train()
    lavt.zero_grad()
    losses = lavt(**ref_batch(lavt), mode='loss')
    assert set(losses) == {'loss_mask', 'loss_dice'}
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    sum(losses.values()).backward()
    parts = dict(stem=lavt.backbone.conv1, stage4=lavt.backbone.layer4,
                 text=lavt.language_model, pwam1=lavt.fusions[0], pwam4=lavt.fusions[3],
                 gate1=lavt.gates[0], gate3=lavt.gates[2], decoder=lavt.decoder)
    for name, module in parts.items():
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads), name
        assert any(g.abs().sum() > 0 for g in grads), name
    lavt.zero_grad()


def test_padding_is_outside_the_loss(lavt):
    """The second image is padded; its padding counts in neither loss."""
    data = ref_batch(lavt, shapes=((3, 96, 128), (3, 64, 96)))
    inputs, samples = data['inputs'], data['data_samples']
    assert inputs.shape[-2:] == (96, 128)
    target, valid = lavt._mask_targets(samples, inputs.shape[-2:], inputs.device)
    assert valid[1].sum() == 64 * 96 and valid[0].all()
    assert target[1][~valid[1]].sum() == 0


def test_predict_returns_one_mask_at_the_original_size(lavt):
    lavt.eval()
    data = ref_batch(lavt, shapes=((3, 96, 128), (3, 70, 90)), training=False)
    with torch.no_grad():
        results = lavt(**data, mode='predict')
    for sample in results:
        pred = sample.pred_instances
        assert len(pred) == 1 and pred.labels.tolist() == [0]
        assert pred.masks.dtype == torch.bool
        assert tuple(pred.masks.shape[-2:]) == tuple(sample.metainfo['ori_shape'][:2])
        assert 0.0 <= float(pred.scores) <= 1.0
    lavt.train()


def test_predict_maps_the_mask_back_and_boxes_it(lavt, monkeypatch):
    """A known logit map: foreground in the top-left quarter of the resized image."""
    data = ref_batch(lavt, shapes=((3, 96, 128), ), training=False)
    sample = data['data_samples'][0]
    sample.set_metainfo(dict(ori_shape=(48, 32), scale_factor=(4.0, 2.0)))  # W x4, H x2

    def logits(inputs, data_samples):
        out = torch.full((1, 1, 24, 32), -10.0)
        out[..., :12, :16] = 10.0
        return out

    monkeypatch.setattr(lavt, '_forward', logits)
    pred = lavt.predict(data['inputs'], data['data_samples'])[0].pred_instances
    mask = pred.masks[0]
    assert mask.shape == (48, 32)
    rows, cols = mask.nonzero(as_tuple=True)
    assert abs(int(rows.max()) + 1 - 24) <= 1 and abs(int(cols.max()) + 1 - 16) <= 1
    assert int(rows.min()) == 0 and int(cols.min()) == 0
    x1, y1, x2, y2 = pred.bboxes[0].tolist()  # tight, so it encloses the mask
    assert (x1, y1) == (0, 0) and (x2, y2) == (int(cols.max()) + 1, int(rows.max()) + 1)
    assert float(pred.scores) > 0.99
    unscaled = lavt.predict(data['inputs'], data['data_samples'], rescale=False)[0]
    assert unscaled.pred_instances.masks.shape[-2:] == (96, 128)


# ----------------------------------------------------------------- contract
def test_missing_or_wrong_prompt_is_a_clear_error(lavt):
    data = ref_batch(lavt, training=False)
    del data['data_samples'][1].text
    with pytest.raises(KeyError, match="'text'.*SampleExpression"):
        lavt(**data, mode='loss')
    data = ref_batch(lavt, training=False)
    data['data_samples'][0].set_metainfo(dict(task='detection', text=('circle', 'star')))
    with pytest.raises(ValueError, match='one referring expression'):
        lavt(**data, mode='predict')
    data = ref_batch(lavt)
    data['data_samples'][0].gt_instances = data['data_samples'][0].gt_instances[:0]
    with pytest.raises(ValueError, match='exactly one gt instance'):
        lavt(**data, mode='loss')


def test_backbone_and_derived_widths_are_checked():
    init_default_scope('mmvl')
    cfg = tiny_lavt_cfg()
    cfg['backbone'] = dict(cfg['backbone'], out_indices=(1, 2, 3))
    with pytest.raises(ValueError, match='after every backbone stage'):
        MODELS.build(cfg)
    with pytest.raises(ValueError, match='remove them'):
        MODELS.build(tiny_lavt_cfg(decoder=dict(type='LAVTDecoder', in_channels=[1, 2])))
    with pytest.raises(TypeError, match='res_layers'):
        LAVT(backbone=dict(type='mmpretrain.VisionTransformer', arch='deit-tiny',
                           img_size=32, patch_size=16, out_indices=(0, 1, 2, 3)),
             language_model=tiny_lavt_cfg()['language_model'])
