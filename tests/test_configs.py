"""Every shipped config (and project config) loads and its model builds in the mmvl scope."""
import glob
import os.path as osp

import pytest
from mmengine import DefaultScope
from mmengine.config import Config

from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p) + sorted(
        glob.glob(osp.join(REPO_ROOT, 'projects', '*', 'configs', '*.py')))


def _drop_absent_answer_table(head):
    """Size a VQA head without its answer table when the data set is not on this machine.

    The toy world's table appears only after ``make toyworld``; the real VQAv2 one never does
    here. The head then needs ``num_answers`` alone (3,129 when the config does not say).
    """
    if not isinstance(head, dict) or not isinstance(head.get('answer_table'), str):
        return
    if not osp.isfile(osp.join(REPO_ROOT, head.answer_table)):
        head.answer_table = None
        head.num_answers = head.get('num_answers') or 3129


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds(path):
    import sys
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)  # projects.* for custom_imports
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmvl'
    DefaultScope.get_instance(f'build-{osp.basename(path)}', scope_name='mmvl')
    language_model = cfg.model.get('language_model')
    if language_model is not None and language_model.get('name') == 'bert-base-uncased':
        # BERT-base cannot be downloaded here: build the rest around the packaged MiniLM
        language_model.name = 'all-MiniLM-L6-v2'
        cfg.model.bbox_head.text_dims = 384
    question_encoder = cfg.model.get('question_encoder')  # rich-region VQA
    if question_encoder is not None and question_encoder.get('name') == 'bert-base-uncased':
        question_encoder.name = 'all-MiniLM-L6-v2'
    for key in ('answer_head', 'head'):  # VQA heads read an answer table from the data set
        _drop_absent_answer_table(cfg.model.get(key))
    encoder = cfg.model.get('encoder')
    if isinstance(encoder, dict) and encoder.get('text_model') == 'bert-base-uncased':
        encoder.text_model = 'all-MiniLM-L6-v2'  # SOHO / Pixel-BERT paper configs, as above
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    if 'toyworld' in osp.basename(path):
        # iteration based, so that --cfg-options train_cfg.max_iters=N shortens it
        from mmengine.runner import IterBasedTrainLoop
        from mmvl.registry import LOOPS
        assert issubclass(LOOPS.get(cfg.train_cfg.type), IterBasedTrainLoop)


def test_toyworld_classes_match_generator():
    from mmvl.datasets.toyworld import CLASSES
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets/toyworld_instance.py'))
    assert tuple(cfg.classes) == tuple(CLASSES)
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets/toyworld_shapes_cls.py'))
    assert tuple(cfg.classes) == tuple(CLASSES)
