import os
import os.path as osp

import pytest
from mmengine import DefaultScope, MessageHub
from mmengine.visualization import Visualizer


@pytest.fixture(scope='session')
def toyworld(tmp_path_factory):
    """A small toy world shared by the tests of one session (generated once)."""
    from mmvl.datasets.toyworld import generate_toyworld
    out = tmp_path_factory.mktemp('toyworld')
    generate_toyworld(str(out), num_images=24, seed=0)
    return str(out)


@pytest.fixture(autouse=True)
def _clear_mmengine_singletons():
    """mmengine keeps global instances (scope, message hub, visualizer); reset between tests."""
    yield
    for cls in (DefaultScope, MessageHub, Visualizer):
        cls._instance_dict.clear()


@pytest.fixture(autouse=True, scope='session')
def _isolated_checkpoint_key(tmp_path_factory):
    """Sign test checkpoints with a key of the test session, not the user's."""
    key_dir = tmp_path_factory.mktemp('key')
    os.environ['MMVL_CHECKPOINT_KEY_FILE'] = osp.join(str(key_dir), 'checkpoint.key')
    yield
