import pytest
from mmengine.config import Config

from mmvl.utils import UnknownConfigKeyError, check_cfg_options

CFG = Config(
    dict(
        work_dir='w',
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=10),
        env_cfg=dict(dist_cfg=dict(backend='nccl')),
        model=dict(type='M', backbone=dict(type='B', depth=18), heads=[dict(type='H')])))


@pytest.mark.parametrize('key', [
    'work_dir', 'train_cfg.max_iters', 'env_cfg.dist_cfg.backend', 'model.backbone.depth',
    'model.backbone.frozen_stages', 'model.heads.0.num_classes'
])
def test_accepts_existing_keys_and_component_arguments(key):
    check_cfg_options(CFG, {key: 1})


def test_typo_in_plain_dict_is_refused_with_suggestion():
    with pytest.raises(UnknownConfigKeyError) as err:
        check_cfg_options(CFG, {'env_cfg.dist_cfg.backnd': 'gloo'})
    assert "'env_cfg.dist_cfg.backend'" not in str(err.value)
    assert "Did you mean 'backend'" in str(err.value)


def test_unknown_top_level_key_is_refused():
    with pytest.raises(UnknownConfigKeyError, match="'wrok_dir'.*Did you mean 'work_dir'"):
        check_cfg_options(CFG, {'wrok_dir': 'x'})
