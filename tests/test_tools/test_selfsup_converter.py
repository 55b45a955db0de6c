"""tools/model_converters/selfsup_to_backbone.py: a pre-training checkpoint to a backbone file."""
import os.path as osp
import sys

import pytest
import torch
from mmpretrain.models.backbones import ResNet as PretrainResNet

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
import selfsup_to_backbone as conv  # noqa: E402

MASK_RCNN_TOY = osp.join(REPO, 'configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py')
CLS_TOY = osp.join(REPO, 'configs/benchmarks/resnet18_1xb32-300it_toyworld.py')


@pytest.fixture(scope='module')
def pretrain_checkpoint(tmp_path_factory):
    """A runner checkpoint shaped like a convnet pre-training run: a ResNet-18 under
    ``backbone.`` with random weights, plus pretext-only parts that must not survive."""
    torch.manual_seed(0)
    backbone = PretrainResNet(18, out_indices=(0, 1, 2, 3))
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    state['neck.decoder.0.weight'] = torch.randn(8, 8, 3, 3)
    state['mask_tokens.0'] = torch.randn(1, 512, 1, 1)
    state['target.module.0.conv1.weight'] = torch.randn(64, 3, 7, 7)
    path = tmp_path_factory.mktemp('ckpt') / 'pretrain.pth'
    torch.save(dict(state_dict=state, meta=dict(iter=10)), path)
    return path, backbone.state_dict()


def test_extracts_backbone_and_loads_into_mmdet_and_mmpretrain(pretrain_checkpoint, tmp_path):
    src, expected = pretrain_checkpoint
    for config in (MASK_RCNN_TOY, CLS_TOY):
        dst = tmp_path / 'backbone.pth'
        assert conv.main([str(src), str(dst), '--check-config', config]) == 0
        out = torch.load(dst, weights_only=True)
        assert out['meta']['dropped'] == ['mask_tokens', 'neck', 'target']
        assert set(out['state_dict']) == set(expected)
        for key, value in expected.items():
            torch.testing.assert_close(out['state_dict'][key], value)
        # the config's backbone now holds exactly the pre-trained tensors
        backbone = conv.build_config_backbone(config)
        backbone.load_state_dict(out['state_dict'])
        torch.testing.assert_close(backbone.conv1.weight, expected['conv1.weight'])


def test_prefixes(pretrain_checkpoint, tmp_path):
    src, _ = pretrain_checkpoint
    dst = tmp_path / 'whole.pth'
    assert conv.main([str(src), str(dst), '--dst-prefix', 'backbone.']) == 0
    keys = torch.load(dst, weights_only=True)['state_dict']
    assert all(k.startswith('backbone.') for k in keys)
    assert conv.main([str(src), str(dst), '--src-prefix', 'target.module.0.']) == 0
    assert list(torch.load(dst, weights_only=True)['state_dict']) == ['conv1.weight']


def test_errors_name_what_is_wrong(pretrain_checkpoint, tmp_path, capsys):
    src, _ = pretrain_checkpoint
    assert conv.main([str(src), str(tmp_path / 'o.pth'), '--src-prefix', 'encoder.']) == 2
    err = capsys.readouterr().err
    assert 'no key starts with "encoder."' in err and "'backbone.'" in err
    # a ResNet-18 does not fit a ViT backbone: the check lists the differences
    vit_probe = osp.join(REPO, 'configs/mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py')
    assert conv.main([str(src), str(tmp_path / 'o.pth'), '--check-config', vit_probe]) == 2
    assert 'missing' in capsys.readouterr().err
    assert not (tmp_path / 'o.pth').exists()
    assert conv.main([str(tmp_path / 'absent.pth'), str(tmp_path / 'o.pth')]) == 2
    assert 'not found' in capsys.readouterr().err


def test_allow_missing_for_downstream_only_layers(tmp_path):
    """A ViT whose downstream form adds a fresh LayerNorm (``ln2``, avg-pooled output)."""
    from mmpretrain.models.backbones import VisionTransformer
    vit = VisionTransformer(
        arch=dict(embed_dims=128, num_layers=4, num_heads=4, feedforward_channels=512),
        img_size=64, patch_size=8)
    src = tmp_path / 'mae.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in vit.state_dict().items()}), src)
    vit_probe = osp.join(REPO, 'configs/mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py')
    dst = tmp_path / 'vit.pth'
    assert conv.main([str(src), str(dst), '--check-config', vit_probe]) == 2
    assert conv.main([str(src), str(dst), '--check-config', vit_probe,
                      '--allow-missing', 'ln2.*']) == 0
