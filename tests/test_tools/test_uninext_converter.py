"""tools/model_converters/uninext_to_mmvl.py on synthetic official UNINEXT checkpoints.

The synthetic state dicts below follow the key layout and the shapes of the authors' modules
(github.com/MasterBin-IIAU/UNINEXT at 5ab0386, read and re-derived here, nothing copied), for a
small variant: ResNet-50, 2 encoder and 2 decoder layers, 30 queries and a MiniLM-sized BERT
(384 wide, 6 layers) in place of BERT-base. Where each group of keys comes from, under
``projects/UNINEXT/uninext/``:

- ``text_encoder.body.model.*``: ``uninext_img.py`` wraps ``models/deformable_detr/
  bert_model.py::BertEncoder`` (an HF ``BertModel`` without pooler, attribute ``model``) in
  ``nn.Sequential(body=...)``. ``embeddings.position_ids`` is a persistent buffer in the
  transformers releases of early 2023 (the repo does not pin a version).
- ``detr.detr.backbone.0.backbone.*``: ``uninext_img.py`` builds ``Joiner(MaskedBackbone(cfg),
  PositionEmbeddingSine)`` (``backbone/masked_backbone.py`` keeps the detectron2 backbone as
  ``.backbone``; the sine encoding has no parameters). ResNet-50 is detectron2's (``stem.conv1``,
  ``res2..res5.<i>.conv1..3`` and ``res<n>.0.shortcut``, each with a FrozenBN ``norm`` holding
  weight, bias, running_mean and running_var as buffers). ConvNeXt: ``backbone/convnext.py``
  (``downsample_layers``, ``stages.<i>.<j>.{dwconv,norm,pwconv1,pwconv2,gamma}``,
  ``norm1..3``; LayerNorms and layer scales are ``nn.Embedding(1, C)``, hence ``.weight.weight``).
  ViT: ``backbone/vit.py`` (``patch_embed.proj``, ``blocks.<i>.{norm1,attn,norm2,mlp}``, ``fpn1``).
- ``detr.detr.input_proj.*``, ``class_embed.*``, ``bbox_embed.*``, ``iou_head.*``:
  ``models/deformable_detr/deformable_detr.py::DeformableDETRDINO`` with box refinement and two
  stages: 3 ``Conv2d 1x1 + GroupNorm`` levels plus one ``Conv2d 3x3/2 + GroupNorm``; decoder + 1
  cloned ``VL_Align`` (``dot_product_projection_text``, ``log_scale``, ``bias_lang``, ``bias0``;
  the image projection is an Identity), the last replaced by ``Still_Classifier`` (``body``);
  decoder + 1 box ``MLP`` (``layers.0..2``); one ``iou_head`` Linear per decoder layer.
- ``detr.detr.transformer.*``: ``models/deformable_detr/deformable_transformer_dino.py::
  DeformableTransformerVLDINO``: ``level_embed``, ``tgt_embed``, ``enc_output(_norm)``,
  ``resizer`` (``FeatureResizer``: ``fc``, ``layer_norm``); encoder ``vl_layers.0.b_attn``
  (``vlfusion.py::VLFuse`` holding ``fuse_helper.py::BiAttentionBlockForCheckpoint``:
  ``layer_norm_v/l``, ``gamma_v/l`` and ``attn`` = ``BiMultiHeadAttention`` with six
  projections; the other vl_layers and all lang_layers are Identity), encoder layers
  (``self_attn`` = ``ops/modules/ms_deform_attn.py::MSDeformAttn``, ``norm1``, ``linear1/2``,
  ``norm2``), decoder layers (``cross_attn`` MSDeformAttn, ``norm1``, ``self_attn`` =
  ``nn.MultiheadAttention``, ``norm2``, ``linear1/2``, ``norm3``), ``decoder.ref_point_head``
  (MLP 512->256->256), and ``decoder.class_embed`` / ``decoder.bbox_embed``: the head lists,
  which DeformableDETRDINO assigns to the decoder, so the checkpoint holds them twice.
- ``detr.controller.*`` (one MLP 256->256->256->169 for all layers), ``detr.mask_head.*``
  (``MaskHeadSmallConv``: ``lay1`` 256->64, ``lay2`` 64->8, ``lay3``, ``lay4``, ``jia_dcn``
  256->256, all 3x3), ``detr.resizer.*`` (``FeatureResizer`` of the DN content,
  DYNAMIC_LABEL_ENC): ``models/ddetrs_dn.py::DDETRSegmUniDN``.
- ``criterion._iter``: the buffer ``SetCriterion`` registers (``deformable_detr.py``); the
  criterion is an attribute of UNINEXT_IMG.
- Video-only keys: ``models/ddetrs_vid_dn.py::DDETRSegmUniVIDDN`` (``reid_embed_head``,
  ``adjust_layer``, ``sot_fuser``) and ``uninext_vid.py`` (``detr.detr.ref_backbone``, a
  4-channel copy of the backbone).
"""
import argparse
import importlib.util
import os.path as osp
import re
import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F

from mmvl.testing import REPO_ROOT
from test_train_test import run_tool

TOOL = osp.join('tools', 'model_converters', 'uninext_to_mmvl.py')
BASE_CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'models', 'uninext_r50.py')
NUM_ENC, NUM_DEC, NUM_QUERIES = 2, 2, 30
SMALL_OPTIONS = [
    'model.language_model.name=all-MiniLM-L6-v2', 'model.bbox_head.text_dims=384',
    f'model.encoder.num_layers={NUM_ENC}', f'model.decoder.num_layers={NUM_DEC}',
    f'model.num_queries={NUM_QUERIES}',
]
D, FFN, FUSION = 256, 2048, 2048
TEXT = dict(width=384, layers=6, inner=1536, vocab=30522, positions=512)
BODY = 'detr.detr.backbone.0.backbone.'
T = 'detr.detr.transformer.'
MASK_HEAD = {'lay1': (64, D), 'lay2': (8, 64), 'lay3': (D, D), 'lay4': (D, D), 'jia_dcn': (D, D)}
# official MaskHeadSmallConv conv -> mmvl MaskFeatureFusion(style='uninext') module
MASK_FUSION = {'jia_dcn': 'top_down_convs.0', 'lay4': 'top_down_convs.1',
               'lay3': 'top_down_convs.2', 'lay1': 'out_convs.0', 'lay2': 'out_convs.2'}


def load_converter():
    spec = importlib.util.spec_from_file_location('uninext_to_mmvl', osp.join(REPO_ROOT, TOOL))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------- official shapes
def linear(prefix, out, inp):
    return {f'{prefix}.weight': (out, inp), f'{prefix}.bias': (out, )}


def norm(prefix, width):
    return {f'{prefix}.weight': (width, ), f'{prefix}.bias': (width, )}


def conv(prefix, out, inp, k, bias=True):
    shapes = {f'{prefix}.weight': (out, inp, k, k)}
    if bias:
        shapes[f'{prefix}.bias'] = (out, )
    return shapes


def frozen_bn(prefix, width):
    return {f'{prefix}.{n}': (width, ) for n in ('weight', 'bias', 'running_mean', 'running_var')}


def resnet50_shapes():
    """detectron2 ResNet-50: stem + bottleneck stages res2..res5 (3, 4, 6, 3 blocks)."""
    shapes = {**conv(BODY + 'stem.conv1', 64, 3, 7, bias=False),
              **frozen_bn(BODY + 'stem.conv1.norm', 64)}
    in_ch = 64
    for stage, (blocks, mid) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=2):
        out = mid * 4
        for block in range(blocks):
            p = f'{BODY}res{stage}.{block}.'
            if block == 0:
                shapes.update(conv(p + 'shortcut', out, in_ch, 1, bias=False))
                shapes.update(frozen_bn(p + 'shortcut.norm', out))
            for i, (o, c, k) in enumerate(((mid, in_ch if block == 0 else out, 1), (mid, mid, 3),
                                           (out, mid, 1)), start=1):
                shapes.update(conv(f'{p}conv{i}', o, c, k, bias=False))
                shapes.update(frozen_bn(f'{p}conv{i}.norm', o))
        in_ch = out
    return shapes, [512, 1024, 2048]


def convnext_shapes(depths=(3, 3, 9, 3), dims=(96, 192, 384, 768)):
    """The official ConvNeXt (tiny sizes): Embedding-held LayerNorms and layer scales."""

    def emb(prefix, c):
        return {f'{prefix}.weight.weight': (1, c), f'{prefix}.bias.weight': (1, c)}

    shapes = {**conv(BODY + 'downsample_layers.0.0', dims[0], 3, 4),
              **emb(BODY + 'downsample_layers.0.1', dims[0])}
    for i in range(1, 4):
        shapes.update(emb(f'{BODY}downsample_layers.{i}.0', dims[i - 1]))
        shapes.update(conv(f'{BODY}downsample_layers.{i}.1', dims[i], dims[i - 1], 2))
    for i, (depth, c) in enumerate(zip(depths, dims)):
        for j in range(depth):
            p = f'{BODY}stages.{i}.{j}.'
            shapes.update({p + 'dwconv.weight': (c, 1, 7, 7), p + 'dwconv.bias': (c, )})
            shapes.update(emb(p + 'norm', c))
            shapes.update(linear(p + 'pwconv1', 4 * c, c))
            shapes.update(linear(p + 'pwconv2', c, 4 * c))
            shapes[p + 'gamma.weight'] = (1, c)
    for i in range(1, 4):
        shapes.update(emb(f'{BODY}norm{i}', dims[i]))
    return shapes, list(dims[1:])


def vit_shapes(width=64):
    """A few keys of the official ViT (D2ViT), enough to exercise the rules."""
    shapes = {**conv(BODY + 'patch_embed.proj', width, 3, 16), BODY + 'pos_embed': (1, 197, width),
              **norm(BODY + 'blocks.0.norm1', width), **linear(BODY + 'blocks.0.attn.qkv',
                                                             3 * width, width),
              BODY + 'blocks.0.attn.rel_pos_h': (27, 8), BODY + 'blocks.0.attn.rel_pos_w': (27, 8),
              **linear(BODY + 'blocks.0.mlp.fc1', 4 * width, width),
              BODY + 'fpn1.0.weight': (width, width // 2, 2, 2),
              BODY + 'fpn1.0.bias': (width // 2, )}
    return shapes, [width // 2, width, width]


def msdeform(prefix, heads=8, levels=4, points=4):
    return {**linear(f'{prefix}.sampling_offsets', heads * levels * points * 2, D),
            **linear(f'{prefix}.attention_weights', heads * levels * points, D),
            **linear(f'{prefix}.value_proj', D, D), **linear(f'{prefix}.output_proj', D, D)}


def detr_shapes(in_channels, text=TEXT['width'], num_enc=NUM_ENC, num_dec=NUM_DEC,
                num_queries=NUM_QUERIES):
    """Everything but the backbone: neck, transformer, heads, mask and DN modules, BERT."""
    s = {}
    for level, c in enumerate(in_channels):
        s.update(conv(f'detr.detr.input_proj.{level}.0', D, c, 1))
        s.update(norm(f'detr.detr.input_proj.{level}.1', D))
    s.update(conv('detr.detr.input_proj.3.0', D, in_channels[-1], 3))
    s.update(norm('detr.detr.input_proj.3.1', D))
    s.update({T + 'level_embed': (4, D), T + 'tgt_embed.weight': (num_queries, D),
              **linear(T + 'enc_output', D, D), **norm(T + 'enc_output_norm', D),
              **linear(T + 'resizer.fc', D, text), **norm(T + 'resizer.layer_norm', D)})
    fuse = T + 'encoder.vl_layers.0.b_attn.'
    s.update({**norm(fuse + 'layer_norm_v', D), **norm(fuse + 'layer_norm_l', text),
              fuse + 'gamma_v': (D, ), fuse + 'gamma_l': (text, )})
    for name, out, inp in (('v_proj', FUSION, D), ('l_proj', FUSION, text),
                           ('values_v_proj', FUSION, D), ('values_l_proj', FUSION, text),
                           ('out_v_proj', D, FUSION), ('out_l_proj', text, FUSION)):
        s.update(linear(fuse + 'attn.' + name, out, inp))
    for i in range(num_enc):
        p = f'{T}encoder.layers.{i}.'
        s.update({**msdeform(p + 'self_attn'), **norm(p + 'norm1', D),
                  **linear(p + 'linear1', FFN, D), **linear(p + 'linear2', D, FFN),
                  **norm(p + 'norm2', D)})
    for i in range(num_dec):
        p = f'{T}decoder.layers.{i}.'
        s.update({**msdeform(p + 'cross_attn'), **norm(p + 'norm1', D),
                  p + 'self_attn.in_proj_weight': (3 * D, D),
                  p + 'self_attn.in_proj_bias': (3 * D, ),
                  **linear(p + 'self_attn.out_proj', D, D), **norm(p + 'norm2', D),
                  **linear(p + 'linear1', FFN, D), **linear(p + 'linear2', D, FFN),
                  **norm(p + 'norm3', D)})
    s.update({**linear(T + 'decoder.ref_point_head.layers.0', D, 2 * D),
              **linear(T + 'decoder.ref_point_head.layers.1', D, D)})
    heads = {}
    for i in range(num_dec):
        heads.update(linear(f'class_embed.{i}.dot_product_projection_text', D, text))
        heads.update({f'class_embed.{i}.log_scale': (1, ), f'class_embed.{i}.bias_lang': (text, ),
                      f'class_embed.{i}.bias0': (1, )})
    heads.update(linear(f'class_embed.{num_dec}.body', 1, D))
    for i in range(num_dec + 1):
        for j, out in enumerate((D, D, 4)):
            heads.update(linear(f'bbox_embed.{i}.layers.{j}', out, D))
    for prefix in ('detr.detr.', T + 'decoder.'):  # the second registration of the same lists
        s.update({prefix + k: v for k, v in heads.items()})
    for i in range(num_dec):
        s.update(linear(f'detr.detr.iou_head.{i}', 1, D))
    for j, out in enumerate((D, D, 169)):
        s.update(linear(f'detr.controller.layers.{j}', out, D))
    for name, (out, inp) in MASK_HEAD.items():
        s.update(conv(f'detr.mask_head.{name}', out, inp, 3))
    s.update({**linear('detr.resizer.fc', D, text), **norm('detr.resizer.layer_norm', D)})
    bert = 'text_encoder.body.model.'
    w = TEXT['width']
    s.update({bert + 'embeddings.word_embeddings.weight': (TEXT['vocab'], w),
              bert + 'embeddings.position_embeddings.weight': (TEXT['positions'], w),
              bert + 'embeddings.token_type_embeddings.weight': (2, w),
              **norm(bert + 'embeddings.LayerNorm', w),
              bert + 'embeddings.position_ids': (1, TEXT['positions'])})
    for i in range(TEXT['layers']):
        p = f'{bert}encoder.layer.{i}.'
        for name in ('query', 'key', 'value'):
            s.update(linear(p + 'attention.self.' + name, w, w))
        s.update({**linear(p + 'attention.output.dense', w, w),
                  **norm(p + 'attention.output.LayerNorm', w),
                  **linear(p + 'intermediate.dense', TEXT['inner'], w),
                  **linear(p + 'output.dense', w, TEXT['inner']),
                  **norm(p + 'output.LayerNorm', w)})
    s['criterion._iter'] = (1, )
    return s


def video_shapes():
    """Modules the video model adds (a deformable re-ID head, SOT template branch)."""
    reid = 'detr.reid_embed_head.'
    s = {**msdeform(reid + '0.layers.0.cross_attn'), **norm(reid + '0.layers.0.norm1', D),
         **linear(reid + '0.ref_point_head.layers.0', D, 2 * D),
         **linear(reid + '1.layers.0', D, D),
         **linear('detr.adjust_layer', 768, D), **conv('detr.sot_fuser.refine.0', D, D, 3),
         **conv('detr.detr.ref_backbone.0.backbone.stem.conv1', 64, 4, 7, bias=False)}
    return s


def make_official(backbone='r50', video=False, seed=0, **sizes):
    """Random tensors in the official layout; aliases equal their originals. ``sizes``:
    ``num_enc``, ``num_dec``, ``num_queries`` (default: the small variant)."""
    backbone_shapes, in_channels = {'r50': resnet50_shapes, 'convnext': convnext_shapes,
                                    'vit': vit_shapes}[backbone]()
    shapes = {**backbone_shapes, **detr_shapes(in_channels, **sizes),
              **(video_shapes() if video else {})}
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict((k, torch.randn(v, generator=gen)) for k, v in shapes.items())
    state['text_encoder.body.model.embeddings.position_ids'] = torch.arange(512)[None]
    for key in [k for k in state if k.startswith(T + 'decoder.class_embed') or
                k.startswith(T + 'decoder.bbox_embed')]:
        state[key] = state['detr.detr.' + key[len(T + 'decoder.'):]]
    return state


def set_value(state, key, value):
    """Fill an official tensor (and its second registration, if it has one) with ``value``."""
    state[key] = torch.full_like(state[key], value)
    if key.startswith(('detr.detr.class_embed', 'detr.detr.bbox_embed')):
        state[T + 'decoder.' + key[len('detr.detr.'):]] = state[key]


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope='module')
def converter():
    return load_converter()


@pytest.fixture(scope='module')
def official():
    return make_official()


@pytest.fixture(scope='module')
def model():
    """mmvl's UNINEXT built from the paper config with the small settings above."""
    from mmengine.config import DictAction
    from mmvl.registry import MODELS
    from mmvl.utils import register_all_modules
    from mmvl.utils.config import read_config
    register_all_modules()
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', *SMALL_OPTIONS]).cfg_options
    cfg = read_config(BASE_CONFIG, options).model
    cfg.backbone.init_cfg = None
    return MODELS.build(cfg)


# ---------------------------------------------------------------------- tests
def test_every_official_key_has_one_fate_and_the_result_loads_strictly(converter, official, model):
    result = converter.convert(official)
    buckets = [set(result.converted), set(result.skipped), set(result.not_converted)]
    assert sum(map(len, buckets)) == len(official) and set.union(*buckets) == set(official)
    assert result.backbone == 'r50' and result.num_decoder_layers == NUM_DEC

    model_state = model.state_dict()
    check = converter.check_against_model(result, model_state)
    assert check == dict(unfilled={}, unexpected=[], shape_mismatch=[], hints={})
    assert not converter.check_failed(check)
    assert result.not_converted == {} and result.keys_without_source == []
    # one official tensor, one mmvl tensor: the mask head and its single controller included
    assert len(set(result.converted.values())) == len(result.converted)
    mask_head = {k for k in model_state if k.startswith('bbox_head.mask_head.')}
    assert mask_head == {result.converted[k] for k in official
                         if k.startswith(('detr.mask_head.', 'detr.controller.'))}
    # skipped: the second registration of the head lists, the unused resizer, buffers
    aliases = [k for k, why in result.skipped.items() if why.startswith('alias of')]
    assert set(aliases) == {k for k in official if k.startswith(
        (T + 'decoder.class_embed.', T + 'decoder.bbox_embed.'))}
    assert {k for k in result.skipped if k not in aliases} == {
        T + 'resizer.fc.weight', T + 'resizer.fc.bias', T + 'resizer.layer_norm.weight',
        T + 'resizer.layer_norm.bias', 'text_encoder.body.model.embeddings.position_ids',
        'criterion._iter'}

    model.load_state_dict(result.state_dict, strict=True)  # no filler keys


def test_tensors_land_where_the_official_modules_use_them(converter, official):
    state = OrderedDict(official)
    last = NUM_DEC - 1
    expected = {  # official key: (mmvl key, distinctive value)
        f'{T}decoder.layers.{last}.norm1.weight': (f'decoder.layers.{last}.norms.1.weight', 11.),
        f'{T}decoder.layers.{last}.norm2.weight': (f'decoder.layers.{last}.norms.0.weight', 12.),
        f'{T}decoder.layers.{last}.norm3.bias': (f'decoder.layers.{last}.norms.2.bias', 13.),
        f'{T}decoder.layers.0.self_attn.in_proj_weight':
        ('decoder.layers.0.self_attn.attn.in_proj_weight', 14.),
        f'{T}decoder.layers.0.linear2.weight': ('decoder.layers.0.ffn.layers.1.weight', 15.),
        f'{T}encoder.layers.1.norm1.bias': ('encoder.layers.1.norms.0.bias', 16.),
        f'{T}encoder.layers.1.norm2.bias': ('encoder.layers.1.norms.1.bias', 17.),
        f'{T}encoder.layers.1.linear1.bias': ('encoder.layers.1.ffn.layers.0.0.bias', 18.),
        f'{T}encoder.layers.0.self_attn.sampling_offsets.bias':
        ('encoder.layers.0.self_attn.sampling_offsets.bias', 19.),
        f'{T}encoder.vl_layers.0.b_attn.gamma_l': ('fusion.gamma_l', 20.),
        f'{T}encoder.vl_layers.0.b_attn.attn.values_l_proj.weight':
        ('fusion.attn.values_l_proj.weight', 21.),
        f'{T}tgt_embed.weight': ('query_embedding.weight', 22.),
        f'{T}enc_output.weight': ('memory_trans_fc.weight', 23.),
        f'{T}enc_output_norm.bias': ('memory_trans_norm.bias', 24.),
        f'{T}level_embed': ('level_embed', 25.),
        f'{BODY}stem.conv1.norm.bias': ('backbone.bn1.bias', 26.),
        f'{BODY}res3.0.shortcut.norm.running_var': ('backbone.layer2.0.downsample.1.running_var',
                                                    27.),
        f'{BODY}res5.2.conv2.norm.running_mean': ('backbone.layer4.2.bn2.running_mean', 28.),
        f'{BODY}res4.5.conv3.weight': ('backbone.layer3.5.conv3.weight', 29.),
        'detr.detr.input_proj.3.1.weight': ('neck.extra_convs.0.gn.weight', 30.),
        'detr.detr.input_proj.1.0.bias': ('neck.convs.1.conv.bias', 31.),
        f'detr.detr.class_embed.{NUM_DEC}.body.weight': (f'bbox_head.cls_branches.{NUM_DEC}.weight',
                                                        32.),
        'detr.detr.class_embed.1.dot_product_projection_text.weight':
        ('bbox_head.cls_branches.1.text_proj.weight', 33.),
        'detr.detr.class_embed.0.bias0': ('bbox_head.cls_branches.0.bias0', 34.),
        'detr.detr.bbox_embed.1.layers.2.bias': ('bbox_head.reg_branches.1.4.bias', 35.),
        f'detr.detr.bbox_embed.{NUM_DEC}.layers.1.weight':
        (f'bbox_head.reg_branches.{NUM_DEC}.2.weight', 36.),
        'detr.detr.iou_head.1.bias': ('bbox_head.box_iou_branches.1.bias', 37.),
        'detr.resizer.layer_norm.weight': ('dn_query_generator.prompt_proj.1.weight', 38.),
        'detr.resizer.fc.bias': ('dn_query_generator.prompt_proj.0.bias', 39.),
        'text_encoder.body.model.encoder.layer.5.output.LayerNorm.bias':
        ('language_model.language_backbone.body.model.encoder.layer.5.output.LayerNorm.bias', 40.),
        'detr.controller.layers.1.weight': ('bbox_head.mask_head.controllers.0.layers.1.weight',
                                            41.),
        'detr.controller.layers.0.bias': ('bbox_head.mask_head.controllers.0.layers.0.bias', 42.),
    }
    fusion = 'bbox_head.mask_head.feature_fusion.'
    for value, (name, module) in enumerate(MASK_FUSION.items(), start=50):
        expected[f'detr.mask_head.{name}.weight'] = (f'{fusion}{module}.weight', float(value))
        expected[f'detr.mask_head.{name}.bias'] = (f'{fusion}{module}.bias', value + 0.5)
    for key, (_, value) in expected.items():
        set_value(state, key, value)
    converted = converter.convert(state).state_dict
    for key, (target, value) in expected.items():
        assert torch.all(converted[target] == value), f'{key} should land on {target}'
    # detectron2's FrozenBN has no counter: mmdet's BN gets 0
    assert int(converted['backbone.layer2.0.downsample.1.num_batches_tracked']) == 0
    # ONE controller, shared by all decoder layers in both models: no per-layer copies
    assert not any(re.match(r'bbox_head\.mask_head\.controllers\.[1-9]', k) for k in converted)


def official_dynamic_masks(params, feats, refs, stride=8):
    """Mask logits of the official dynamic conv, as ddetrs_dn.py describes it: the first conv
    reads [ref_x - x, ref_y - y, f_0 .. f_7], parameters split as 3 weights then 3 biases."""
    channels, h, w = feats.shape
    ys = torch.arange(h, dtype=feats.dtype) * stride + stride // 2
    xs = torch.arange(w, dtype=feats.dtype) * stride + stride // 2
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    masks = []
    for p, (ref_x, ref_y) in zip(params, refs):
        x = torch.cat([torch.stack([ref_x - grid_x, ref_y - grid_y]), feats])[None]
        w0, w1, w2, b0, b1, b2 = p.split([80, 64, 8, 8, 8, 1])
        x = F.relu(F.conv2d(x, w0.view(8, 10, 1, 1), b0))
        x = F.relu(F.conv2d(x, w1.view(8, 8, 1, 1), b1))
        masks.append(F.conv2d(x, w2.view(1, 8, 1, 1), b2)[0, 0])
    return torch.stack(masks)


def official_pixel_embedding(state, feats):
    """MaskHeadSmallConv.forward(feats, fpns=None) without RAFT, as ddetrs_dn.py describes it:
    ``feats`` are the encoder memory maps of the three finest levels, finest first. The
    coarsest goes through lay3; each finer level is added to the nearest-upsampled result and
    goes through lay4, then jia_dcn; lay1 and lay2 follow. Every conv is 3x3 with a ReLU."""

    def conv_relu(x, name):
        return F.relu(F.conv2d(x, state[f'detr.mask_head.{name}.weight'],
                               state[f'detr.mask_head.{name}.bias'], padding=1))

    x = conv_relu(feats[2], 'lay3')
    x = conv_relu(feats[1] + F.interpolate(x, size=feats[1].shape[-2:], mode='nearest'), 'lay4')
    x = conv_relu(feats[0] + F.interpolate(x, size=feats[0].shape[-2:], mode='nearest'),
                  'jia_dcn')
    return conv_relu(conv_relu(x, 'lay1'), 'lay2')


def official_controller(state, queries):
    """The official kernel controller: MLP 256 -> 256 -> 256 -> 169, ReLU between."""
    x = queries
    for j in range(3):
        x = F.linear(x, state[f'detr.controller.layers.{j}.weight'],
                     state[f'detr.controller.layers.{j}.bias'])
        x = F.relu(x) if j < 2 else x
    return x


def tame_mask_branch(official):
    """The official state with its mask head and controller in float64 and scaled to keep
    activations O(1) (weights by 1/sqrt(fan-in), biases by 0.1); the rest unchanged."""
    state = OrderedDict(official)
    for key in [k for k in state if k.startswith(('detr.mask_head.', 'detr.controller.'))]:
        value = state[key].double()
        state[key] = value / value[0].numel() ** 0.5 if key.endswith('weight') else value * 0.1
    return state


def converted_mask_head(converter, state, out_stride):
    """mmvl's DynamicMaskHead as the paper config builds it, holding the converted tensors."""
    from mmvl.models.layers import DynamicMaskHead
    head = DynamicMaskHead(embed_dims=D, num_pred_layer=NUM_DEC, out_stride=out_stride,
                           fusion_style='uninext', share_controller=True).double()
    prefix = 'bbox_head.mask_head.'
    head.load_state_dict({k[len(prefix):]: v for k, v in converter.convert(state).state_dict.items()
                          if k.startswith(prefix)}, strict=True)  # every tensor of the head
    return head


def test_converted_controller_gives_the_official_masks(converter, official):
    """The coordinate channels move and change sign; the logits must not change."""
    state = tame_mask_branch(official)
    gen = torch.Generator().manual_seed(1)
    queries = torch.randn(5, D, generator=gen, dtype=torch.float64)
    feats = torch.randn(8, 6, 7, generator=gen, dtype=torch.float64)
    refs = torch.rand(5, 2, generator=gen, dtype=torch.float64) * 50
    expected = official_dynamic_masks(official_controller(state, queries), feats, refs)

    head = converted_mask_head(converter, state, out_stride=8)
    for layer in range(NUM_DEC):  # one controller serves every decoder layer
        masks = head(feats, head.kernels(queries, layer), refs)
        torch.testing.assert_close(masks, expected)


def test_converted_mask_head_gives_the_official_pixel_embedding(converter, official):
    """jia_dcn / lay4 / lay3 land on the finest / middle / coarsest top-down conv."""
    state = tame_mask_branch(official)
    gen = torch.Generator().manual_seed(2)
    # encoder memory of a 100 x 140 image at strides 8, 16, 32 and the unused extra level 64
    sizes = [(13, 18), (7, 9), (4, 5), (2, 3)]
    feats = [torch.randn(2, D, h, w, generator=gen, dtype=torch.float64) for h, w in sizes]
    expected = official_pixel_embedding(state, feats[:3])
    assert expected.shape == (2, 8, 13, 18) and expected.abs().max() > 0.1

    head = converted_mask_head(converter, state, out_stride=8)
    torch.testing.assert_close(head.pixel_embedding(feats), expected)
    torch.testing.assert_close(head.pixel_embedding(feats[:3]), expected)

    # and the whole branch: pixel embedding, shared controller and dynamic convs
    queries = torch.randn(4, D, generator=gen, dtype=torch.float64)
    refs = torch.rand(4, 2, generator=gen, dtype=torch.float64) * 100
    params = official_controller(state, queries)
    for image in range(2):
        masks = head(head.pixel_embedding(feats)[image], head.kernels(queries, 0), refs)
        torch.testing.assert_close(masks, official_dynamic_masks(params, expected[image], refs))


def test_unknown_keys_are_named_and_aliases_checked(converter, official):
    state = OrderedDict(official)
    state[T + 'encoder.vl_layers.1.b_attn.gamma_v'] = torch.zeros(D)  # NUM_VL_LAYERS=2
    with pytest.raises(converter.UnknownKeyError, match=re.escape('vl_layers.1.b_attn.gamma_v')):
        converter.convert(state)
    state = OrderedDict(official)
    state[T + 'decoder.class_embed.0.bias0'] = state['detr.detr.class_embed.0.bias0'] + 1
    with pytest.raises(ValueError, match='decoder.class_embed.0.bias0'):
        converter.convert(state)
    with pytest.raises(ValueError, match='r50 backbone'):
        converter.convert(official, backbone='convnext-l')


def test_video_checkpoint_converts_its_image_model(converter, official):
    video = make_official(video=True)
    result = converter.convert(video)
    assert set(result.state_dict) == set(converter.convert(official).state_dict)
    video_keys = set(video) - set(official)
    assert video_keys <= set(result.skipped)
    assert all(result.skipped[k].startswith('video model') for k in video_keys)


def test_convnext_backbone_maps_to_mmpretrain(converter):
    from mmpretrain.models import ConvNeXt
    state = make_official('convnext')
    result = converter.convert(state, backbone='convnext-l')
    backbone = ConvNeXt(arch='tiny', out_indices=(1, 2, 3), gap_before_final_norm=False)
    converted = {k[len('backbone.'):]: v for k, v in result.state_dict.items()
                 if k.startswith('backbone.')}
    backbone.load_state_dict(converted, strict=True)  # every key, every shape
    assert torch.equal(converted['stages.2.4.gamma'], state[BODY + 'stages.2.4.gamma.weight'][0])
    assert torch.equal(converted['norm3.bias'], state[BODY + 'norm3.bias.weight'][0])
    assert result.not_converted == {}


def test_vit_backbone_is_reported_not_converted(converter):
    state = make_official('vit')
    result = converter.convert(state)
    assert result.backbone == 'vit-h'
    backbone_keys = {k for k in state if k.startswith(BODY)}
    assert backbone_keys <= set(result.not_converted)
    assert not any(k.startswith('backbone.') for k in result.state_dict)
    assert ('backbone\\..+', 'the ViT-H backbone is not converted') in result.keys_without_source


def test_official_state_dict_unwraps(converter, official):
    bare = converter.official_state_dict(official)
    assert list(bare) == list(official)
    wrapped = converter.official_state_dict({'model': official, 'iteration': 91990})
    assert list(wrapped) == list(official)
    ddp = converter.official_state_dict({'module.' + k: v for k, v in official.items()})
    assert list(ddp) == list(official)
    with pytest.raises(ValueError, match='not a UNINEXT checkpoint'):
        converter.official_state_dict({'state_dict': official, 'meta': {}})


def test_cli_converts_checks_and_writes_a_loadable_checkpoint(official, model, tmp_path):
    from mmengine.runner import load_checkpoint
    src, dst = str(tmp_path / 'model_final.pth'), str(tmp_path / 'out' / 'uninext_mmvl.pth')
    torch.save({'model': official}, src)
    proc = run_tool([TOOL, src, dst, '--check-config', BASE_CONFIG, '--cfg-options',
                     *SMALL_OPTIONS])
    out = proc.stdout
    assert 'backbone r50, 2 decoder layers' in out and 'not converted     0' in out
    assert 'mmvl keys no official tensor fills: none' in out
    assert ('checked against the built model: 0 unfilled, 0 unexpected, 0 shape mismatches'
            in out and f'saved {dst}' in out)

    ckpt = torch.load(dst, map_location='cpu', weights_only=True)  # no pickled objects
    assert set(ckpt) == {'state_dict', 'meta'} and ckpt['meta']['backbone'] == 'r50'
    assert ckpt['meta']['not_converted'] == []
    assert not osp.exists(dst + '.mmvl-sig')
    load_checkpoint(model, dst, map_location='cpu', strict=True)  # mmvl's registered loader
    assert torch.equal(model.query_embedding.weight, official[T + 'tgt_embed.weight'])
    assert torch.equal(model.bbox_head.mask_head.feature_fusion.top_down_convs[0].bias,
                       official['detr.mask_head.jia_dcn.bias'])

    # a config without the input_proj biases: the gap is named with its fix, nothing written
    other = str(tmp_path / 'other.pth')
    proc = run_tool([TOOL, src, other, '--check-config', BASE_CONFIG, '--cfg-options',
                     *SMALL_OPTIONS, 'model.neck.bias=False'], check=False)
    assert proc.returncode == 1 and not osp.exists(other)
    assert ('unexpected neck.convs.0.conv.bias: NOT IN THE MODEL (hint: the official '
            'input_proj convs have a bias: set model.neck.bias=True)') in proc.stdout


def test_check_names_the_config_setting_a_gap_needs(converter, official):
    """Model variants that depart from the authors' modules fail the check, with a hint."""
    result = converter.convert(official)
    fits = {k: torch.empty(v.shape) for k, v in result.state_dict.items()}
    check = converter.check_against_model(result, fits)
    assert not converter.check_failed(check) and check['hints'] == {}

    variant = dict(fits)  # mmdet's decoder norm, one controller per layer, 'lateral' fusion
    variant.update({'decoder.norm.weight': torch.empty(D), 'decoder.norm.bias': torch.empty(D),
                    'bbox_head.mask_head.controllers.1.layers.0.weight': torch.empty(D, D),
                    'bbox_head.mask_head.feature_fusion.out_convs.2.weight':
                    torch.empty(8, 64, 1, 1)})
    del variant['bbox_head.mask_head.feature_fusion.top_down_convs.0.bias']
    check = converter.check_against_model(result, variant)
    assert converter.check_failed(check)
    assert check['unfilled'] == {k: None for k in ('decoder.norm.weight', 'decoder.norm.bias',
                                                   'bbox_head.mask_head.controllers.1.layers.'
                                                   '0.weight')}
    assert check['unexpected'] == ['bbox_head.mask_head.feature_fusion.top_down_convs.0.bias']
    assert check['shape_mismatch'] == [('bbox_head.mask_head.feature_fusion.out_convs.2.weight',
                                        (8, 64, 3, 3), (8, 64, 1, 1))]
    assert 'decoder_out_norm=False' in check['hints']['decoder.norm.bias']
    assert 'share_controller=True' in check['hints'][
        'bbox_head.mask_head.controllers.1.layers.0.weight']
    assert "fusion_style='uninext'" in check['hints'][
        'bbox_head.mask_head.feature_fusion.out_convs.2.weight']
    assert "fusion_style='uninext'" in check['hints'][
        'bbox_head.mask_head.feature_fusion.top_down_convs.0.bias']
    report = converter.format_check(check)
    assert 'unfilled   decoder.norm.weight: NO OFFICIAL SOURCE (hint: ' in report


def test_cli_fails_on_an_unknown_key(tmp_path):
    src = str(tmp_path / 'odd.pth')
    torch.save({'model': {BODY + 'stem.conv1.weight': torch.zeros(1),
                          T + 'decoder.layers.0.norm1.weight': torch.zeros(1),
                          'detr.detr.my_new_head.weight': torch.zeros(1)}}, src)
    proc = run_tool([TOOL, src, str(tmp_path / 'out.pth')], check=False)
    assert proc.returncode == 2
    assert 'detr.detr.my_new_head.weight' in proc.stderr
    assert not osp.exists(tmp_path / 'out.pth')
