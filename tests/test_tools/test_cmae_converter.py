"""tools/model_converters/cmae_to_mmvl.py on state dicts written with the authors' key names.

The names and shapes below are written out from the authors' model definitions
(github.com/ZhichengHuang/CMAE@e786a52), not read from mmvl's modules:

- ``cmae/models/algorithms/cmae.py`` ``CMAE``: ``backbone`` (online ``CMAEViT``),
  ``target_backbone`` (``CMAEViT`` with ``final_norm=False``), ``pixel_decoder``,
  ``feature_decoder``, ``projector``, ``target_projector``, ``head`` (``CMAEPretrainHead``
  with ``predictor``).
- ``backbones/vision_transformer.py``: ``cls_token``, ``pos_embed`` (1 x (L + 1) x C),
  mmcv ``PatchEmbed`` (``projection``), ``layers.<i>`` of ``transformer_utils``
  ``TransformerEncoderLayer``: ``ln1``, ``attn.qkv``, ``attn.proj``, ``ln2``, mmcv ``FFN``
  (``ffn.layers.0.0``, ``ffn.layers.1``); final norm ``ln1`` (``build_norm_layer`` postfix 1).
- ``necks/mae_neck.py`` ``MAEPretrainDecoder``: ``mask_token``, ``decoder_pos_embed``,
  ``decoder_embed``, ``decoder_blocks.<i>`` (the same layer), ``ln1``, ``decoder_pred``.
- ``necks/nonlinear_neck.py`` ``NonLinearNeck`` (2 layers, bias, no last BN, no last bias):
  ``fc0`` (with bias), ``bn0`` (with running stats), ``fc1`` (no bias).
- fine-tuning: ``backbones/mim_cls_vit.py`` ``MIMVisionTransformer`` (``final_norm=False``:
  ``fc_norm``) and ``heads/mae_head.py`` ``MAEFinetuneHead`` (``head``).
"""
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
from mmengine.registry import init_default_scope

from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
import cmae_to_mmvl as conv  # noqa: E402
from selfsup_to_backbone import ConversionError  # noqa: E402

sys.path.pop(0)

C, LAYERS, FFN, P, S = 16, 2, 32, 8, 32  # encoder width, depth, MLP width, patch, image
L = (S // P)**2
D, DEC_DEPTH = 8, 1  # decoder width and depth
HID, OUT = 24, 12  # projector / predictor widths


def _layer(prefix, dim, ffn):
    return {
        f'{prefix}ln1.weight': (dim, ), f'{prefix}ln1.bias': (dim, ),
        f'{prefix}attn.qkv.weight': (3 * dim, dim), f'{prefix}attn.qkv.bias': (3 * dim, ),
        f'{prefix}attn.proj.weight': (dim, dim), f'{prefix}attn.proj.bias': (dim, ),
        f'{prefix}ln2.weight': (dim, ), f'{prefix}ln2.bias': (dim, ),
        f'{prefix}ffn.layers.0.0.weight': (ffn, dim), f'{prefix}ffn.layers.0.0.bias': (ffn, ),
        f'{prefix}ffn.layers.1.weight': (dim, ffn), f'{prefix}ffn.layers.1.bias': (dim, ),
    }


def _vit(prefix, final_norm):
    keys = {f'{prefix}cls_token': (1, 1, C), f'{prefix}pos_embed': (1, L + 1, C),
            f'{prefix}patch_embed.projection.weight': (C, 3, P, P),
            f'{prefix}patch_embed.projection.bias': (C, )}
    for i in range(LAYERS):
        keys.update(_layer(f'{prefix}layers.{i}.', C, FFN))
    if final_norm:
        keys.update({f'{prefix}ln1.weight': (C, ), f'{prefix}ln1.bias': (C, )})
    return keys


def _decoder(prefix, out):
    keys = {f'{prefix}mask_token': (1, 1, D), f'{prefix}decoder_pos_embed': (1, L + 1, D),
            f'{prefix}decoder_embed.weight': (D, C), f'{prefix}decoder_embed.bias': (D, )}
    for i in range(DEC_DEPTH):
        keys.update(_layer(f'{prefix}decoder_blocks.{i}.', D, 4 * D))
    keys.update({f'{prefix}ln1.weight': (D, ), f'{prefix}ln1.bias': (D, ),
                 f'{prefix}decoder_pred.weight': (out, D), f'{prefix}decoder_pred.bias': (out, )})
    return keys


def _neck(prefix, inp):
    return {f'{prefix}fc0.weight': (HID, inp), f'{prefix}fc0.bias': (HID, ),
            f'{prefix}bn0.weight': (HID, ), f'{prefix}bn0.bias': (HID, ),
            f'{prefix}bn0.running_mean': (HID, ), f'{prefix}bn0.running_var': (HID, ),
            f'{prefix}bn0.num_batches_tracked': (), f'{prefix}fc1.weight': (OUT, HID)}


def _random(shapes, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return OrderedDict(
        (k, torch.tensor(7) if k.endswith('num_batches_tracked') else torch.randn(s, generator=gen))
        for k, s in shapes.items())


def authors_pretrain_state():
    shapes = {}
    shapes.update(_vit('backbone.', final_norm=True))
    shapes.update(_vit('target_backbone.', final_norm=False))
    shapes.update(_decoder('pixel_decoder.', P * P * 3))
    shapes.update(_decoder('feature_decoder.', C))
    shapes.update(_neck('projector.', C))
    shapes.update(_neck('target_projector.', C))
    shapes.update(_neck('head.predictor.', OUT))
    return _random(shapes)


def authors_finetune_state(num_classes=5):
    shapes = _vit('backbone.', final_norm=False)
    shapes.update({'backbone.fc_norm.weight': (C, ), 'backbone.fc_norm.bias': (C, ),
                   'head.head.weight': (num_classes, C), 'head.head.bias': (num_classes, )})
    return _random(shapes, seed=1)


def mmvl_cmae():
    """mmvl's CMAE (the toy model config) at the sizes above."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/models/cmae_vit-toy-p8.py'))
    arch = dict(embed_dims=C, num_layers=LAYERS, num_heads=2, feedforward_channels=FFN)
    model = cfg.model
    for key in ('backbone', 'target_backbone'):
        model[key].update(arch=arch, img_size=S, patch_size=P)
    for key, out in (('pixel_decoder', None), ('feature_decoder', C)):
        model[key].update(num_patches=L, embed_dim=C, decoder_embed_dim=D, decoder_num_heads=2,
                          decoder_depth=DEC_DEPTH, predict_feature_dim=out)
    model.projector.update(in_channels=C, hid_channels=HID, out_channels=OUT,
                           norm_cfg=dict(type='BN1d', eps=1e-6))
    model.contrastive_head.predictor.update(in_channels=OUT, hid_channels=HID, out_channels=OUT,
                                            norm_cfg=dict(type='BN1d', eps=1e-6))
    init_default_scope('mmvl')
    return MODELS.build(model)


def test_pretrain_checkpoint_loads_strictly_into_mmvl_cmae():
    source = authors_pretrain_state()
    converted = conv.convert(source, 'pretrain')
    model = mmvl_cmae()
    model.load_state_dict(converted, strict=True)
    state = model.state_dict()
    # each module got its own tensors: momentum copies and predictor moved, the rest unchanged
    for old, new in (('backbone.ln1.weight', 'backbone.ln1.weight'),
                     ('target_backbone.layers.1.attn.qkv.weight',
                      'target.module.backbone.layers.1.attn.qkv.weight'),
                     ('target_projector.bn0.running_var',
                      'target.module.projector.bn0.running_var'),
                     ('projector.fc1.weight', 'projector.fc1.weight'),
                     ('head.predictor.fc0.bias', 'contrastive_head.predictor.fc0.bias'),
                     ('feature_decoder.decoder_pred.weight', 'feature_decoder.decoder_pred.weight'),
                     ('pixel_decoder.mask_token', 'pixel_decoder.mask_token')):
        assert torch.equal(state[new], source[old]), old
    assert int(state['target.steps']) == 0
    assert not any(k.startswith('target.module.backbone.ln1') for k in state)  # no final norm


def test_finetune_checkpoint_loads_into_mmpretrain_classifier():
    source = authors_finetune_state()
    converted = conv.convert(source, 'finetune')
    init_default_scope('mmpretrain')
    classifier = MODELS.build(dict(
        type='mmpretrain.ImageClassifier',
        _scope_='mmpretrain',
        backbone=dict(type='VisionTransformer',
                      arch=dict(embed_dims=C, num_layers=LAYERS, num_heads=2,
                                feedforward_channels=FFN),
                      img_size=S, patch_size=P, out_type='avg_featmap', final_norm=False),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=C)))
    classifier.load_state_dict(converted, strict=True)
    assert torch.equal(classifier.backbone.ln2.weight, source['backbone.fc_norm.weight'])
    assert torch.equal(classifier.head.fc.weight, source['head.head.weight'])


def test_cli_and_errors(tmp_path, capsys):
    src, dst = tmp_path / 'cmae_pt.pth', tmp_path / 'out.pth'
    torch.save({'state_dict': authors_pretrain_state(), 'meta': {'epoch': 1600}}, src)
    assert conv.main([str(src), str(dst), '--format', 'pretrain']) == 0
    written = torch.load(dst)['state_dict']
    assert 'target.module.projector.fc0.weight' in written
    # a classifier is not a pre-training checkpoint; an unknown key is named
    with pytest.raises(ConversionError, match='no mmvl name'):
        conv.convert(authors_finetune_state(), 'pretrain')
    bad = authors_pretrain_state()
    bad['queue'] = torch.zeros(3)
    torch.save({'state_dict': bad}, src)
    assert conv.main([str(src), str(dst), '--format', 'pretrain']) == 2
    assert "['queue']" in capsys.readouterr().err
    assert conv.main([str(tmp_path / 'missing.pth'), str(dst), '--format', 'finetune']) == 2
