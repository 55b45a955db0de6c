"""mmvl's registries reach mmdet and mmpretrain components from one config."""
import torch
from mmengine import DefaultScope
from mmengine.config import Config

from mmvl.registry import DATASETS, MODELS, OPTIM_WRAPPERS, OPTIMIZERS, TOKENIZERS
from mmvl.testing import demo_det_batch, get_config_path


def test_registries_are_children_of_mmengine_roots():
    from mmengine.registry import MODELS as ROOT_MODELS
    assert MODELS.parent is ROOT_MODELS and MODELS.scope == 'mmvl'
    assert ROOT_MODELS.children['mmvl'] is MODELS
    # mmpretrain's tokenizers (transformers' classes) are found from mmvl's node.
    assert TOKENIZERS.get('BertTokenizer') is not None


def test_mixed_config_builds_and_runs_forward(toyworld):
    """mmdet detector + mmpretrain backbone + mmvl dataset and optim wrapper in one config."""
    from mmdet.models import MaskRCNN
    from mmpretrain.models import ResNet

    from mmvl.datasets import CocoDataset
    from mmvl.engine import BF16AutocastOptimWrapper

    cfg = Config.fromfile(get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py'))
    cfg.model.backbone = dict(
        type='mmpretrain.ResNet', _scope_='mmpretrain', depth=18, out_indices=(0, 1, 2, 3))
    DefaultScope.get_instance('test_mixed', scope_name='mmvl')

    model = MODELS.build(cfg.model)
    assert isinstance(model, MaskRCNN) and isinstance(model.backbone, ResNet)

    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = toyworld + '/'
    dataset = DATASETS.build(dataset_cfg)
    assert isinstance(dataset, CocoDataset) and len(dataset) > 0
    sample = dataset[0]
    assert sample['data_samples'].gt_instances.masks.masks.shape[0] > 0

    cfg.optim_wrapper.type = 'mmvl.BF16AutocastOptimWrapper'
    cfg.optim_wrapper.autocast_modules = cfg.cpu_amp_modules
    optim_cfg = cfg.optim_wrapper.copy()
    optim_cfg.optimizer = OPTIMIZERS.build(
        dict(cfg.optim_wrapper.optimizer, params=model.parameters()))
    wrapper = OPTIM_WRAPPERS.build(optim_cfg)
    assert isinstance(wrapper, BF16AutocastOptimWrapper)

    with wrapper.optim_context(model):
        losses = model(**demo_det_batch(model), mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k and isinstance(v, torch.Tensor))
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.conv1.weight.grad is not None  # gradient reaches the mmpretrain part
