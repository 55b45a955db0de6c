"""tools/model_converters/spark_to_mmvl.py on synthetic state dicts with the authors' key layout.

The official names are written here independently of the converter, from the authors' modules
(github.com/keyu-tian/SparK, pretrain/spark.py, decoder.py, models/convnext.py; the encoder of
ResNets is timm's ResNet): ``SparK`` holds ``sparse_encoder.sp_cnn`` (the CNN), ``densify_norms``,
``densify_projs``, ``mask_tokens``, ``dense_decoder`` (``LightDecoder``: ``dec.<i>`` UNetBlocks of
``up_sample`` and ``conv = Sequential(conv3x3, bn, ReLU6, conv3x3, bn)``, then ``proj``) and
the buffers ``imn_m``, ``imn_s``, ``norm_black``; the ConvNeXt block holds ``dwconv``, ``norm``,
``pwconv1``, ``pwconv2``, ``gamma``."""
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

TINY_BACKBONES = dict(
    resnet=dict(type='mmpretrain.ResNet', depth=50, stem_channels=8, base_channels=8,
                out_indices=(0, 1, 2, 3), _scope_='mmpretrain'),
    convnext=dict(type='mmpretrain.ConvNeXt', arch=dict(depths=[1, 1, 2, 1],
                                                        channels=[8, 16, 32, 64]),
                  out_indices=(0, 1, 2, 3), gap_before_final_norm=False, _scope_='mmpretrain'))


def tiny_spark(arch):
    init_default_scope('mmvl')
    return MODELS.build(dict(
        type='SparK',
        densify_norm='bn' if arch == 'resnet' else 'ln',
        backbone_identity=() if arch == 'resnet' else ('norm0', 'norm1', 'norm2', 'norm3'),
        backbone=TINY_BACKBONES[arch],
        neck=dict(type='mmpretrain.SparKLightDecoder', feature_dim=32, upsample_ratio=32,
                  norm_cfg=dict(type='BN'), _scope_='mmpretrain'),
        head=dict(type='mmpretrain.SparKPretrainHead', patch_size=32,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2'),
                  _scope_='mmpretrain')))


def official_name(mmvl_key):
    """The authors' name of an mmvl SparK key (the inverse mapping, by string edits)."""
    if mmvl_key.startswith('backbone.'):
        key = mmvl_key[len('backbone.'):]
        for ours, theirs in (('depthwise_conv', 'dwconv'), ('pointwise_conv1', 'pwconv1'),
                             ('pointwise_conv2', 'pwconv2')):
            key = key.replace(ours, theirs)
        return 'sparse_encoder.sp_cnn.' + key
    if mmvl_key.startswith('neck.'):
        key = mmvl_key.replace('neck.decoder.', 'dense_decoder.dec.').replace(
            'neck.proj.', 'dense_decoder.proj.').replace('.upsample.', '.up_sample.')
        for ours, theirs in (('conv_blocks.0.conv1', 'conv.0'), ('conv_blocks.0.norm1', 'conv.1'),
                             ('conv_blocks.0.conv2', 'conv.3'), ('conv_blocks.0.norm2', 'conv.4')):
            key = key.replace(ours, theirs)
        return key
    return mmvl_key  # densify_norms, densify_projs, mask_tokens: the authors' names


def official_spark_state(model):
    state = {official_name(k): torch.randn(v.shape) if v.is_floating_point() else v.clone()
             for k, v in model.state_dict().items()}
    state.update(imn_m=torch.empty(1, 3, 1, 1), imn_s=torch.empty(1, 3, 1, 1),
                 norm_black=torch.zeros(1, 3, 64, 64))
    return state


@pytest.mark.parametrize('arch', ['resnet', 'convnext'])
def test_spark_format_lands_on_every_key(arch):
    model = tiny_spark(arch)
    official = official_spark_state(model)
    converted = convert(official, arch, 'spark')
    target = model.state_dict()
    assert set(converted) == set(target)
    for key, value in converted.items():
        assert value.shape == target[key].shape, key
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert torch.equal(model.state_dict()['mask_tokens.0'], official['mask_tokens.0'])


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
    if arch == 'resnet':
        dense = ResNet(depth=50, stem_channels=8, base_channels=8)
    else:
        dense = ConvNeXt(arch=dict(depths=[1, 1, 2, 1], channels=[8, 16, 32, 64]),
                         out_indices=(3, ))
    official = {official_name('backbone.' + k)[len('sparse_encoder.sp_cnn.'):]: v
                for k, v in dense.state_dict().items() if not k.startswith('norm')}
    converted = convert(official, arch, 'timm')
    assert all(k.startswith('backbone.') for k in converted)
    result = dense.load_state_dict({k[len('backbone.'):]: v for k, v in converted.items()},
                                   strict=False)
    assert not result.unexpected_keys
    # the authors' ConvNeXt has no output norm: the fine-tuned model initialises it afresh
    assert result.missing_keys == ([] if arch == 'resnet' else ['norm3.weight', 'norm3.bias'])


def test_unmapped_keys_are_errors():
    with pytest.raises(KeyError, match='fc.weight'):
        convert({'fc.weight': torch.zeros(1)}, 'resnet', 'timm')
    with pytest.raises(KeyError, match='dense_decoder.extra'):
        convert({'dense_decoder.extra.weight': torch.zeros(1)}, 'resnet', 'spark')


def test_command_line(tmp_path):
    model = tiny_spark('resnet')
    src, dst = tmp_path / 'res50_withdecoder.pth', tmp_path / 'mmvl.pth'
    torch.save({'module': official_spark_state(model)}, src)
    subprocess.run([sys.executable, osp.join(REPO_ROOT, 'tools/model_converters/spark_to_mmvl.py'),
                    str(src), str(dst), '--format', 'spark', '--arch', 'resnet'],
                   check=True, capture_output=True)
    state = torch.load(dst, weights_only=True)['state_dict']
    assert set(state) == set(model.state_dict())
