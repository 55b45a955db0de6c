"""tools/model_converters/spark_to_mmvl.py on synthetic state dicts with the authors' key layout.

The authors' names and shapes are written out below from their model definitions
(github.com/keyu-tian/SparK at a63e386), not derived from mmvl's modules:

- ResNet encoder: ``pretrain/models/resnet.py`` uses timm's ``ResNet`` built with
  ``num_classes=0`` (``pretrain/models/__init__.py``), so no ``fc``: ``conv1``, ``bn1``,
  ``layer<s>.<b>.{conv1,bn1,conv2,bn2}`` (BasicBlock) and ``downsample.{0,1}`` where the stride
  or width changes.
- ConvNeXt encoder: ``pretrain/models/convnext.py`` (``num_classes=0``: no ``norm``, no ``fc``):
  ``downsample_layers.0 = (Conv2d k4 s4, LayerNorm)``, ``downsample_layers.i = (LayerNorm,
  Conv2d k2 s2)``; ``stages.<s>.<b>`` = ``pretrain/encoder.py``'s ``SparseConvNeXtBlock``:
  ``dwconv`` (7x7 depthwise), ``norm``, ``pwconv1``/``pwconv2`` (linears), ``gamma``.
- ``pretrain/spark.py`` ``SparK``: ``sparse_encoder.sp_cnn`` (the encoder), per level from the
  deepest: ``mask_tokens.<i>`` (1 x C x 1 x 1), ``densify_norms.<i>`` (sparse BN1d for ResNets,
  LayerNorm for ConvNeXt), ``densify_projs.<i>`` (Identity at level 0 when the encoder width
  equals the decoder width, else a 1x1 conv; 3x3 convs for the other levels, decoder width
  halving per level); buffers ``imn_m``, ``imn_s``, ``norm_black``; and ``config`` added by
  ``state_dict(with_config=True)`` when saving the spark-style file.
- ``pretrain/decoder.py`` ``LightDecoder``: ``dec.<i>`` UNetBlocks of ``up_sample``
  (ConvTranspose2d k4, bias) and ``conv = Sequential(conv3x3 no bias, BN, ReLU6, conv3x3 no
  bias, BN)``, widths ``width / 2**i``; then ``proj`` (1x1 conv to RGB).
"""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.models import ConvNeXt, ResNet

from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
from spark_to_mmvl import convert  # noqa: E402

sys.path.pop(0)

STEM, WIDTHS, BLOCKS = 8, (8, 16, 32, 64), (2, 2, 2, 2)  # a ResNet-18 layout at width 8
CONVNEXT_DEPTHS = (1, 1, 2, 1)
DECODER_WIDTH = dict(resnet=32, convnext=64)  # ConvNeXt: deepest width = decoder width
INPUT_SIZE = 64


def tiny_spark(arch):
    """mmvl's SparK around the mmpretrain backbones of the layouts below."""
    backbones = dict(
        resnet=dict(type='mmpretrain.ResNet', depth=18, stem_channels=STEM,
                    base_channels=WIDTHS[0], out_indices=(0, 1, 2, 3), _scope_='mmpretrain'),
        convnext=dict(type='mmpretrain.ConvNeXt',
                      arch=dict(depths=list(CONVNEXT_DEPTHS), channels=list(WIDTHS)),
                      out_indices=(0, 1, 2, 3), gap_before_final_norm=False,
                      _scope_='mmpretrain'))
    init_default_scope('mmvl')
    return MODELS.build(dict(
        type='SparK',
        densify_norm='bn' if arch == 'resnet' else 'ln',
        backbone_identity=() if arch == 'resnet' else ('norm0', 'norm1', 'norm2', 'norm3'),
        backbone=backbones[arch],
        neck=dict(type='mmpretrain.SparKLightDecoder', feature_dim=DECODER_WIDTH[arch],
                  upsample_ratio=32, norm_cfg=dict(type='BN'), _scope_='mmpretrain'),
        head=dict(type='mmpretrain.SparKPretrainHead', patch_size=32,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2'),
                  _scope_='mmpretrain')))


def bn(prefix, channels):
    """The state of a torch BatchNorm (1d, 2d or sync)."""
    return {f'{prefix}.weight': (channels, ), f'{prefix}.bias': (channels, ),
            f'{prefix}.running_mean': (channels, ), f'{prefix}.running_var': (channels, ),
            f'{prefix}.num_batches_tracked': ()}


def ln(prefix, channels):
    return {f'{prefix}.weight': (channels, ), f'{prefix}.bias': (channels, )}


def timm_resnet_keys():
    """timm ``ResNet(BasicBlock, layers=BLOCKS, stem_width=STEM)`` widths scaled to WIDTHS,
    ``num_classes=0``: name -> shape."""
    keys = {'conv1.weight': (STEM, 3, 7, 7), **bn('bn1', STEM)}
    in_width = STEM
    for stage, (width, blocks) in enumerate(zip(WIDTHS, BLOCKS), start=1):
        for block in range(blocks):
            name = f'layer{stage}.{block}'
            keys[f'{name}.conv1.weight'] = (width, in_width, 3, 3)
            keys.update(bn(f'{name}.bn1', width))
            keys[f'{name}.conv2.weight'] = (width, width, 3, 3)
            keys.update(bn(f'{name}.bn2', width))
            if block == 0 and (stage > 1 or in_width != width):  # stride 2 or new width
                keys[f'{name}.downsample.0.weight'] = (width, in_width, 1, 1)
                keys.update(bn(f'{name}.downsample.1', width))
            in_width = width
    return keys


def authors_convnext_keys():
    """The authors' ``ConvNeXt(depths=CONVNEXT_DEPTHS, dims=WIDTHS, num_classes=0)``."""
    keys = {'downsample_layers.0.0.weight': (WIDTHS[0], 3, 4, 4),
            'downsample_layers.0.0.bias': (WIDTHS[0], ),
            **ln('downsample_layers.0.1', WIDTHS[0])}
    for i in range(1, 4):
        keys.update(ln(f'downsample_layers.{i}.0', WIDTHS[i - 1]))
        keys[f'downsample_layers.{i}.1.weight'] = (WIDTHS[i], WIDTHS[i - 1], 2, 2)
        keys[f'downsample_layers.{i}.1.bias'] = (WIDTHS[i], )
    for stage, (dim, depth) in enumerate(zip(WIDTHS, CONVNEXT_DEPTHS)):
        for block in range(depth):
            name = f'stages.{stage}.{block}'
            keys.update({
                f'{name}.gamma': (dim, ),
                f'{name}.dwconv.weight': (dim, 1, 7, 7), f'{name}.dwconv.bias': (dim, ),
                **ln(f'{name}.norm', dim),
                f'{name}.pwconv1.weight': (4 * dim, dim), f'{name}.pwconv1.bias': (4 * dim, ),
                f'{name}.pwconv2.weight': (dim, 4 * dim), f'{name}.pwconv2.bias': (dim, )})
    return keys


def authors_spark_keys(arch):
    """The authors' ``SparK(SparseEncoder(cnn), LightDecoder(32, width), densify_norm)``
    state dict saved ``with_config=True``, minus ``config``: name -> shape."""
    encoder = timm_resnet_keys() if arch == 'resnet' else authors_convnext_keys()
    keys = {f'sparse_encoder.sp_cnn.{k}': v for k, v in encoder.items()}
    width = DECODER_WIDTH[arch]
    channels = [width // 2**i for i in range(6)]
    for i, (cin, cout) in enumerate(zip(channels[:-1], channels[1:])):
        keys.update({f'dense_decoder.dec.{i}.up_sample.weight': (cin, cin, 4, 4),
                     f'dense_decoder.dec.{i}.up_sample.bias': (cin, ),
                     f'dense_decoder.dec.{i}.conv.0.weight': (cin, cin, 3, 3),
                     **bn(f'dense_decoder.dec.{i}.conv.1', cin),
                     f'dense_decoder.dec.{i}.conv.3.weight': (cout, cin, 3, 3),
                     **bn(f'dense_decoder.dec.{i}.conv.4', cout)})
    keys.update({'dense_decoder.proj.weight': (3, channels[-1], 1, 1),
                 'dense_decoder.proj.bias': (3, )})
    decoder_width = width
    for i, e_width in enumerate(reversed(WIDTHS)):  # deepest level first
        keys.update((bn if arch == 'resnet' else ln)(f'densify_norms.{i}', e_width))
        if not (i == 0 and e_width == decoder_width):  # else nn.Identity: no keys
            kernel = 1 if i == 0 else 3
            keys[f'densify_projs.{i}.weight'] = (decoder_width, e_width, kernel, kernel)
            keys[f'densify_projs.{i}.bias'] = (decoder_width, )
        keys[f'mask_tokens.{i}'] = (1, e_width, 1, 1)
        decoder_width //= 2
    keys.update({'imn_m': (1, 3, 1, 1), 'imn_s': (1, 3, 1, 1),
                 'norm_black': (1, 3, INPUT_SIZE, INPUT_SIZE)})
    return keys


def synthetic_state(shapes):
    """Random tensors of the given shapes (int64 step counters for BN)."""
    return {k: torch.tensor(7) if k.endswith('num_batches_tracked') else torch.randn(shape)
            for k, shape in shapes.items()}


def authors_spark_state(arch):
    state = synthetic_state(authors_spark_keys(arch))
    state['config'] = {'mask_ratio': 0.6, 'densify_norm_str': 'bn' if arch == 'resnet' else
                       'ln', 'sbn': True, 'hierarchy': 4,
                       'sparse_encoder.input_size': INPUT_SIZE,
                       'dense_decoder.width': DECODER_WIDTH[arch]}
    return state


def test_the_layouts_have_what_the_authors_models_have():
    """Guards on the hand-written layouts: no classifier, the identity projection only for
    ConvNeXt, a downsample branch in stages 2-4 only."""
    resnet, convnext = authors_spark_keys('resnet'), authors_spark_keys('convnext')
    assert not any(k.startswith(('sparse_encoder.sp_cnn.fc', 'sparse_encoder.sp_cnn.norm'))
                   for k in {**resnet, **convnext})
    assert 'densify_projs.0.weight' in resnet and 'densify_projs.0.weight' not in convnext
    assert resnet['densify_projs.0.weight'] == (32, 64, 1, 1)
    assert convnext['densify_projs.1.weight'] == (32, 32, 3, 3)
    assert sorted(k for k in resnet if 'downsample.0' in k) == [
        f'sparse_encoder.sp_cnn.layer{s}.0.downsample.0.weight' for s in (2, 3, 4)]
    assert 'dense_decoder.dec.4.conv.4.running_var' in resnet
    assert 'dense_decoder.dec.5.up_sample.weight' not in resnet


@pytest.mark.parametrize('arch', ['resnet', 'convnext'])
def test_spark_format_lands_on_every_key(arch):
    """The authors' spark-style state dict converts to exactly mmvl's keys (nothing missing,
    nothing unexpected, ``imn_m``/``imn_s``/``norm_black``/``config`` dropped), same shapes."""
    model = tiny_spark(arch)
    official = authors_spark_state(arch)
    converted = convert(official, arch, 'spark')
    target = model.state_dict()
    assert set(converted) == set(target)
    assert len(converted) == len(official) - 4
    for key, value in converted.items():
        assert value.shape == target[key].shape, key
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(model.state_dict()['mask_tokens.0'], official['mask_tokens.0'])
    ours = 'backbone.layer2.0.downsample.1.running_var' if arch == 'resnet' else \
        'backbone.stages.2.1.pointwise_conv1.weight'
    theirs = 'sparse_encoder.sp_cnn.layer2.0.downsample.1.running_var' if arch == 'resnet' \
        else 'sparse_encoder.sp_cnn.stages.2.1.pwconv1.weight'
    assert torch.equal(model.state_dict()[ours], official[theirs])
    assert torch.equal(model.state_dict()['neck.decoder.3.conv_blocks.0.conv2.weight'],
                       official['dense_decoder.dec.3.conv.3.weight'])


def test_hand_written_keys():
    official = {
        'sparse_encoder.sp_cnn.layer3.5.downsample.1.running_var': torch.ones(4),
        'sparse_encoder.sp_cnn.bn1.num_batches_tracked': torch.tensor(3),
        'dense_decoder.dec.4.conv.4.running_mean': torch.zeros(2),
        'dense_decoder.dec.0.up_sample.weight': torch.zeros(1),
        'densify_projs.1.bias': torch.zeros(1),
        'config': {'mask_ratio': 0.6},
    }
    assert list(convert(official, 'resnet', 'spark')) == [
        'backbone.layer3.5.downsample.1.running_var', 'backbone.bn1.num_batches_tracked',
        'neck.decoder.4.conv_blocks.0.norm2.running_mean', 'neck.decoder.0.upsample.weight',
        'densify_projs.1.bias']
    assert list(convert({'stages.2.1.pwconv2.bias': torch.zeros(1)}, 'convnext', 'timm')) == [
        'backbone.stages.2.1.pointwise_conv2.bias']


@pytest.mark.parametrize('arch', ['resnet', 'convnext'])
def test_timm_format_loads_into_the_dense_backbone(arch):
    """The timm-style file (the encoder's state dict, no prefix) gives ``backbone.*`` keys that
    load into the dense fine-tuning backbone."""
    if arch == 'resnet':
        dense = ResNet(depth=18, stem_channels=STEM, base_channels=WIDTHS[0])
        official = synthetic_state(timm_resnet_keys())
    else:
        dense = ConvNeXt(arch=dict(depths=list(CONVNEXT_DEPTHS), channels=list(WIDTHS)),
                         out_indices=(3, ))
        official = synthetic_state(authors_convnext_keys())
    converted = convert(official, arch, 'timm')
    assert all(k.startswith('backbone.') for k in converted)
    result = dense.load_state_dict({k[len('backbone.'):]: v for k, v in converted.items()},
                                   strict=False)
    assert not result.unexpected_keys
    # the authors' ConvNeXt has no output norm: the fine-tuned model initialises it afresh
    assert result.missing_keys == ([] if arch == 'resnet' else ['norm3.weight', 'norm3.bias'])
    for key, value in converted.items():
        assert dense.state_dict()[key[len('backbone.'):]].shape == value.shape, key


def test_unmapped_keys_are_errors():
    with pytest.raises(KeyError, match='fc.weight'):
        convert({'fc.weight': torch.zeros(1)}, 'resnet', 'timm')
    with pytest.raises(KeyError, match='dense_decoder.extra'):
        convert({'dense_decoder.extra.weight': torch.zeros(1)}, 'resnet', 'spark')


def test_command_line(tmp_path):
    model = tiny_spark('resnet')
    src, dst = tmp_path / 'res18_withdecoder.pth', tmp_path / 'mmvl.pth'
    torch.save({'module': authors_spark_state('resnet')}, src)
    subprocess.run([sys.executable, osp.join(REPO_ROOT, 'tools/model_converters/spark_to_mmvl.py'),
                    str(src), str(dst), '--format', 'spark', '--arch', 'resnet'],
                   check=True, capture_output=True)
    state = torch.load(dst, weights_only=True)['state_dict']
    assert set(state) == set(model.state_dict())
