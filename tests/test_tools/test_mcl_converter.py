"""tools/model_converters/mcl_to_mmdet.py on state dicts of the authors' layout and of mmvl.

The official layout is re-derived from github.com/GuoQiushan/MCL@1912aa9 (nothing copied):
``openselfsup/models/mcl.py`` builds ``encoder_q`` / ``encoder_k`` as ``nn.Sequential(ResNet,
FPN, DetConvGpNonLinearHead)`` and sets ``self.backbone = encoder_q[0]`` (so the checkpoint
holds the backbone twice); ``necks.py``: ``FPN`` with mmcv ``ConvModule`` ``lateral_convs`` /
``fpn_convs`` (``conv``, ``bn``), ``DetConvGpNonLinearHead`` with ``cls_convs`` (4 ConvModules)
and ``mlp`` = Linear, BN1d, ReLU, Linear, BN1d(affine=False); ``heads/latent_pred_head.py``:
``predictor`` = a ModuleList of ``NonLinearNeckV2`` whose ``mlp`` is Linear, BN1d, ReLU,
Linear. Their ResNet and FPN keys are mmpretrain's and mmdet's, so those modules build them.
"""
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
from mmcv.cnn import ConvModule
from mmdet.models.necks import FPN
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.models.backbones import ResNet
from torch import nn

from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT, get_model_cfg

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
import mcl_to_mmdet as conv  # noqa: E402

DETECTION = osp.join(REPO_ROOT,
                     'configs/mcl/benchmarks/mask-rcnn_r50_fpn_4conv1fc_ms-1x_coco.py')
BN = dict(type='BN')


def official_encoder(depth=50, channels=256, hidden=2048):
    backbone = ResNet(depth, out_indices=(0, 1, 2, 3))
    widths = [64, 128, 256, 512] if depth < 50 else [256, 512, 1024, 2048]
    fpn = FPN(widths, channels, num_outs=4, norm_cfg=BN)
    neck = nn.Module()
    neck.cls_convs = nn.ModuleList(
        ConvModule(channels, channels, 3, padding=1, norm_cfg=BN) for _ in range(4))
    neck.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                             nn.Linear(hidden, channels),
                             nn.BatchNorm1d(channels, affine=False))
    return nn.Sequential(backbone, fpn, neck)


def official_state_dict(seed=0, **kwargs):
    """An OpenSelfSup MCL state dict with random values in every tensor."""
    torch.manual_seed(seed)
    encoder_q, encoder_k = official_encoder(**kwargs), official_encoder(**kwargs)
    state = OrderedDict()
    for prefix, module in (('encoder_q.', encoder_q), ('encoder_k.', encoder_k)):
        for key, value in module.state_dict().items():
            state[prefix + key] = torch.randn_like(value.float()).to(value.dtype) \
                if value.is_floating_point() else value + 3
    for key in [k for k in state if k.startswith('encoder_q.0.')]:
        state['backbone.' + key[len('encoder_q.0.'):]] = state[key]  # MCL.backbone
    for i in range(4):
        predictor = nn.Sequential(nn.Linear(256, 2048), nn.BatchNorm1d(2048), nn.ReLU(),
                                  nn.Linear(2048, 256))
        state.update({f'head.predictor.{i}.mlp.{k}': v for k, v in predictor.state_dict().items()})
    return state


def build_detector(depth=50, channels=256):
    """The benchmark config's Mask R-CNN (BN instead of SyncBN for the CPU), optionally narrowed
    to the toy MCL's ResNet-18 and channel width."""
    init_default_scope('mmvl')
    cfg = Config.fromfile(DETECTION)
    model = cfg.model
    model.pop('init_cfg')
    model.backbone.update(depth=depth, norm_cfg=BN)
    model.neck.update(norm_cfg=BN, out_channels=channels,
                      in_channels=[64, 128, 256, 512] if depth < 50 else model.neck.in_channels)
    model.rpn_head.update(in_channels=channels, feat_channels=channels)
    roi = model.roi_head
    roi.bbox_roi_extractor.out_channels = channels
    roi.bbox_head.update(norm_cfg=BN, in_channels=channels, conv_out_channels=channels)
    roi.mask_roi_extractor.out_channels = channels
    roi.mask_head.update(norm_cfg=BN, in_channels=channels, conv_out_channels=channels)
    return MODELS.build(model)


@pytest.fixture(scope='module')
def official():
    return official_state_dict()


@pytest.fixture(scope='module')
def r50_detector_state():
    return build_detector().state_dict()


def test_official_layout_fills_backbone_fpn_and_box_head_convs(official, r50_detector_state):
    out, dropped = conv.convert(official, 'official')
    conv.check_against_detector(out, r50_detector_state)  # raises on any gap or extra
    for j in range(4):
        for name in ('conv.weight', 'bn.weight', 'bn.running_var', 'bn.num_batches_tracked'):
            assert torch.equal(out[f'roi_head.bbox_head.shared_convs.{j}.{name}'],
                               official[f'encoder_q.2.cls_convs.{j}.{name}'])
    assert torch.equal(out['neck.lateral_convs.3.conv.weight'],
                       official['encoder_q.1.lateral_convs.3.conv.weight'])
    assert torch.equal(out['neck.fpn_convs.0.bn.bias'], official['encoder_q.1.fpn_convs.0.bn.bias'])
    # the online (query) encoder, never the momentum one
    assert torch.equal(out['backbone.layer4.2.conv3.weight'],
                       official['encoder_q.0.layer4.2.conv3.weight'])
    assert not torch.equal(out['backbone.layer4.2.conv3.weight'],
                           official['encoder_k.0.layer4.2.conv3.weight'])
    n_backbone = sum(k.startswith('encoder_q.0.') for k in official)
    assert len(dropped['second name of encoder_q.0 (MCL.backbone)']) == n_backbone
    assert len(dropped['momentum encoder']) == sum(k.startswith('encoder_k.') for k in official)
    assert len(dropped['predictors']) == 4 * 9  # fc (2 tensors), BN (5), fc (2)
    # loads into the detector: only parts that pre-training does not have stay missing
    detector = build_detector()
    missing, unexpected = detector.load_state_dict(out, strict=False)
    assert unexpected == []
    assert all(k.startswith(('rpn_head.', 'roi_head.bbox_head.shared_fcs', 'roi_head.bbox_head.fc_',
                             'roi_head.mask_head.')) for k in missing), missing


def test_unknown_alias_mismatch_and_wrong_source_are_errors(official):
    with pytest.raises(conv.ConversionError, match='encoder_q.3.extra'):
        conv.convert(dict(official, **{'encoder_q.3.extra': torch.zeros(1)}), 'official')
    broken = dict(official)
    broken['backbone.conv1.weight'] = broken['backbone.conv1.weight'] + 1
    with pytest.raises(conv.ConversionError, match='should repeat encoder_q.0.conv1.weight'):
        conv.convert(broken, 'official')
    with pytest.raises(conv.ConversionError, match='is --source mmvl right'):
        conv.convert(official, 'mmvl')
    with pytest.raises(conv.ConversionError, match='nothing converted to neck'):
        conv.convert({k: v for k, v in official.items() if '.1.' not in k[:12]}, 'official')


def test_check_names_missing_and_misshaped_keys(official, r50_detector_state):
    out, _ = conv.convert(official, 'official')
    del out['roi_head.bbox_head.shared_convs.3.conv.weight']
    out['neck.fpn_convs.0.conv.weight'] = torch.zeros(1)
    with pytest.raises(conv.ConversionError, match=r'1 missing .*shared_convs\.3.*1 with another'):
        conv.check_against_detector(out, r50_detector_state)


def test_mmvl_checkpoint_converts_and_loads_into_the_narrowed_detector(tmp_path):
    init_default_scope('mmvl')
    torch.manual_seed(0)
    mcl = MODELS.build(get_model_cfg('mcl/mcl_resnet18_1xb16-600it_toyworld.py'))
    mcl.init_weights()
    state = mcl.state_dict()
    src = tmp_path / 'iter_1.pth'
    torch.save(dict(state_dict=state, meta=dict(iter=1)), src)
    dst = tmp_path / 'mmdet.pth'
    assert conv.main([str(src), str(dst), '--source', 'mmvl']) == 0
    out = torch.load(dst, weights_only=True)
    assert out['meta']['dropped'] == {'region-neck MLP (pre-training only)': 12,
                                      'momentum encoder': sum(k.startswith('target_net.')
                                                              for k in state),
                                      'predictors': 4 * 9}
    converted = out['state_dict']
    conv.check_against_detector(converted, build_detector(depth=18, channels=64).state_dict())
    assert torch.equal(converted['roi_head.bbox_head.shared_convs.1.bn.running_mean'],
                       state['neck.1.convs.1.bn.running_mean'])
    assert torch.equal(converted['neck.lateral_convs.0.conv.weight'],
                       state['neck.0.lateral_convs.0.conv.weight'])


def test_cli_checks_against_the_benchmark_config(official, tmp_path):
    src = tmp_path / 'official.pth'
    torch.save(dict(state_dict=official, meta=dict(epoch=100)), src)
    dst = tmp_path / 'out.pth'
    assert conv.main([str(src), str(dst), '--source', 'official', '--check-config',
                      DETECTION]) == 0
    assert set(torch.load(dst, weights_only=True)['state_dict']) == set(
        conv.convert(official, 'official')[0])
    assert conv.main([str(src), str(tmp_path / 'x.pth'), '--source', 'mmvl']) == 2
    assert not osp.exists(tmp_path / 'x.pth')
