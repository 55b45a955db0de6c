"""The NLVR2 configs of SOHO and Pixel-BERT: one data layout (the official one, as in
configs/_base_/datasets/nlvr2.py), checked by loading the toy world's NLVR2 split through each
config's dataset and pipeline."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvl.registry import DATASETS
from mmvl.testing import REPO_ROOT

BASE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'nlvr2.py')
CONFIGS = [osp.join(REPO_ROOT, 'configs', *p) for p in (
    ('soho', 'soho_r101-12l_caption-pre_16xb8-18e_nlvr2.py'),
    ('pixel_bert', 'pixel-bert_x152_caption-pre_16xb8-18e_nlvr2.py'))]
SPLITS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _layout(cfg):
    return {split: (cfg[split].dataset.type, cfg[split].dataset.data_root,
                    cfg[split].dataset.ann_file, cfg[split].dataset.data_prefix)
            for split in SPLITS}


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_nlvr2_configs_share_the_official_layout(path, toyworld):
    base = Config.fromfile(BASE)
    cfg = Config.fromfile(path)
    assert _layout(cfg) == _layout(base)
    assert [cfg[s].dataset.data_prefix for s in SPLITS] == [
        'images/train', 'images/dev', 'images/test1']
    # the layout finds the images: the toy world writes nlvr2/{dev.json,images/dev/}
    init_default_scope('mmvl')
    dataset = copy.deepcopy(cfg.val_dataloader.dataset)
    dataset.data_root = osp.join(toyworld, 'nlvr2')
    item = DATASETS.build(dataset)[0]
    assert len(item['inputs']) == 2  # the pair's two images
