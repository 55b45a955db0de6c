"""Layer-wise lr decay of SparK's fine-tuning recipes against the authors' rules, transcribed
from their code: ``downstream_d2/lr_decay.py`` (COCO, on detectron2 parameter names) and
``downstream_imagenet/models/__init__.py`` (ImageNet, timm names)."""
import math

import pytest
from mmdet.models.backbones import ResNet as MMDetResNet
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.models import ResNet as MMPretrainResNet
from torch import nn

import mmvl.engine  # noqa: F401  (registers the constructor)
from mmvl.registry import MODELS
from mmvl.testing import get_config_path


@pytest.fixture(autouse=True)
def _mmvl_scope():
    init_default_scope('mmvl')


def authors_d2_lr_factor(d2_name, is_resnet50, dec):
    """``lr_factor_func`` of the authors' downstream_d2/lr_decay.py (numbers, not debug)."""
    n = 5 if is_resnet50 else 11
    if '.stem.' in d2_name:
        layer_id = 0
    elif '.res' in d2_name:
        ls = d2_name.split('.res')[1].split('.')
        stage_id, block_id = int(ls[0]), int(ls[1])
        if stage_id == 2:
            layer_id = 1
        elif stage_id == 3:
            layer_id = 2
        elif stage_id == 4:
            layer_id = 3 + block_id // 3
        else:
            layer_id = n
    else:
        layer_id = n + 1
    return dec**(n + 1 - layer_id)


def to_d2_name(name):
    """mmdet parameter name -> detectron2's (the parts the rule reads)."""
    if not name.startswith('backbone.'):
        return 'roi_heads.' + name
    rest = name[len('backbone.'):]
    if rest.startswith('layer'):
        stage, tail = rest.split('.', 1)
        return f'backbone.bottom_up.res{int(stage[5:]) + 1}.{tail}'
    return 'backbone.bottom_up.stem.' + rest


class Detector(nn.Module):

    def __init__(self, depth):
        super().__init__()
        self.backbone = MMDetResNet(depth=depth, base_channels=4, stem_channels=4)
        self.neck = nn.Conv2d(4, 4, 1)
        self.roi_head = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))


@pytest.mark.parametrize('depth', [50, 101])
def test_lr_factors_follow_the_authors_detectron2_rule(depth):
    model = Detector(depth)
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=2.5e-4, weight_decay=1e-4),
        constructor='ResNetLayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=0.6, norm_decay_mult=0.)))
    names = {id(p): n for n, p in model.named_parameters()}
    groups = wrapper.optimizer.param_groups
    assert len(groups) == len(names)
    for group in groups:
        name = names[id(group['params'][0])]
        expected = 2.5e-4 * authors_d2_lr_factor(to_d2_name(name), depth == 50, 0.6)
        assert math.isclose(group['lr'], expected, rel_tol=1e-12), name
    by_name = {names[id(g['params'][0])]: g for g in groups}
    assert by_name['backbone.conv1.weight']['lr'] == pytest.approx(2.5e-4 * 0.6**(
        6 if depth == 50 else 12))
    assert by_name['neck.weight']['lr'] == 2.5e-4
    # norm layers keep no weight decay, as detectron2's WEIGHT_DECAY_NORM = 0
    assert by_name['backbone.bn1.weight']['weight_decay'] == 0.
    assert by_name['backbone.layer1.0.conv1.weight']['weight_decay'] == 1e-4


def test_spark_coco_config_optimizer_follows_the_rule():
    """The SparK COCO config's optim wrapper, built by mmengine on the config's own Mask R-CNN
    (no training): every parameter's lr is the authors' detectron2 rule, the neck and heads
    keep the base lr, norm layers get no weight decay."""
    cfg = Config.fromfile(
        get_config_path('spark/benchmarks/mask-rcnn_r50_fpn_spark-pre_8xb2-90k_coco.py'))
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    base_lr = cfg.optim_wrapper.optimizer.lr
    assert base_lr == 2.5e-4
    names = {id(p): n for n, p in model.named_parameters()}
    by_name = {names[id(g['params'][0])]: g for g in wrapper.optimizer.param_groups}
    assert set(by_name) == set(names.values())
    for name, group in by_name.items():
        expected = base_lr * authors_d2_lr_factor(to_d2_name(name), True, 0.6)
        assert math.isclose(group['lr'], expected, rel_tol=1e-12), name
    exponents = {  # 0.6 ** exponent: stem 6, res2 5, res3 4, res4 3 + block // 3, res5 1
        'backbone.conv1.weight': 6,
        'backbone.layer1.0.conv1.weight': 5,
        'backbone.layer2.3.bn3.bias': 4,
        'backbone.layer3.2.conv2.weight': 3,
        'backbone.layer3.5.conv1.weight': 2,
        'backbone.layer4.2.conv3.weight': 1,
        'neck.lateral_convs.0.conv.weight': 0,
        'rpn_head.rpn_conv.weight': 0,
        'roi_head.bbox_head.shared_convs.0.conv.weight': 0,
        'roi_head.mask_head.conv_logits.weight': 0,
    }
    for name, exponent in exponents.items():
        assert by_name[name]['lr'] == pytest.approx(base_lr * 0.6**exponent), name
    assert by_name['backbone.bn1.weight']['weight_decay'] == 0.
    assert by_name['neck.fpn_convs.0.bn.weight']['weight_decay'] == 0.
    assert by_name['backbone.layer1.0.conv1.weight']['weight_decay'] == 1e-4
    assert by_name['roi_head.bbox_head.fc_cls.weight']['weight_decay'] == 1e-4


def test_a_model_without_resnet_is_refused():
    with pytest.raises(ValueError, match='no ResNet'):
        build_optim_wrapper(nn.Sequential(nn.Linear(2, 2)), dict(
            optimizer=dict(type='AdamW', lr=1e-3),
            constructor='ResNetLayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.6)))


def authors_imagenet_layer(name, len2, len3):
    """``resnets_get_layer_id_and_scale_exp`` of downstream_imagenet/models/__init__.py."""
    blk2, blk3 = {(4, 6): (2, 3), (4, 23): (2, 3), (8, 36): (4, 4)}[(len2, len3)]
    n2, n3 = math.ceil(len2 / blk2 - 1e-5), math.ceil(len3 / blk3 - 1e-5)
    n = 2 + n2 + n3
    if name.startswith('layer'):
        stage_id, block_id = int(name.split('.')[0][5:]), int(name.split('.')[1])
        layer_id = {1: 1, 2: 2 + block_id // blk2, 3: 2 + n2 + block_id // blk3}.get(stage_id, n)
    elif name.startswith('fc.'):
        layer_id = n + 1
    else:
        layer_id = 0
    return n + 1 - layer_id  # the exponent of the decay


@pytest.mark.parametrize('depth', [50, 101, 152])
def test_mmpretrain_resnet_layer_depth_is_the_authors_imagenet_rule(depth):
    """The ImageNet fine-tune configs use mmpretrain's LearningRateDecayOptimWrapperConstructor,
    whose scale is decay ** (max_depth - layer_id - 1) from ResNet.get_layer_depth."""
    backbone = MMPretrainResNet(depth=depth, base_channels=2, stem_channels=2)
    len2, len3 = len(backbone.layer2), len(backbone.layer3)
    names = [n for n, _ in backbone.named_parameters()] + ['fc.weight', 'fc.bias']
    for name in names:
        full = ('head.' + name) if name.startswith('fc.') else ('backbone.' + name)
        layer_id, max_depth = backbone.get_layer_depth(full, 'backbone.')
        assert max_depth - layer_id - 1 == authors_imagenet_layer(name, len2, len3), name
