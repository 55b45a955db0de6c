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
    answer_head = cfg.model.get('answer_head')
    if answer_head is not None and answer_head.get('num_answers') and not osp.isfile(
            osp.join(REPO_ROOT, answer_head.get('answer_table') or '')):
        answer_head.answer_table = None  # the real data set is absent; num_answers sizes it
    encoder = cfg.model.get('encoder')
    if isinstance(encoder, dict) and encoder.get('text_model') == 'bert-base-uncased':
        encoder.text_model = 'all-MiniLM-L6-v2'  # SOHO / Pixel-BERT paper configs, as above
    head = cfg.model.get('head')
    if isinstance(head, dict) and isinstance(head.get('answer_table'), str) \
            and not osp.isfile(head.answer_table):
        head.answer_table, head.num_answers = None, 3129  # the real VQAv2 table is not here
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
