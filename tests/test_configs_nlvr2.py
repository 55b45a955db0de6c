"""The NLVR2 configs of SOHO and Pixel-BERT: one data layout (the official one, as in
configs/_base_/datasets/nlvr2.py), checked by loading the toy world's NLVR2 split through each
config's dataset and pipeline, and the papers' keep-ratio inputs (short side 600, long side
<= 1000) with each image's size packed for the padding mask."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import FUNCTIONS, init_default_scope

from mmvl.registry import DATASETS, MODELS
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
    dataset.pipeline[0].transforms[1].scale = (100, 60)  # the papers' 1000 / 600, scaled
    dataset = DATASETS.build(dataset)
    item = dataset[0]
    assert len(item['inputs']) == 2  # the pair's two images
    # keep-ratio resize: the short side reaches 60 (600) unless the long side hits 100 (1000)
    shapes = item['data_samples'].img_shape
    assert len(shapes) == 2 and all(min(s) == 60 or max(s) == 100 for s in shapes)
    assert cfg.train_dataloader.dataset.pipeline[0].transforms[1].keep_ratio
    # the config's collate and preprocessor (the runner hands the top-level one to the model):
    # images of different sizes padded into pairs, with per-view shapes
    collate = FUNCTIONS.get(cfg.val_dataloader.get('collate_fn', {}).get('type', 'pseudo_collate'))
    preprocessor = cfg.model.get('data_preprocessor', cfg.get('data_preprocessor'))
    assert preprocessor.type == 'VLDataPreprocessor'
    batch = MODELS.build(preprocessor)(collate([dataset[0], dataset[1]]))
    assert batch['images'].dim() == 5 and batch['images'].shape[:2] == (2, 2)
    assert [s.img_shape for s in batch['data_samples']] == [
        dataset[i]['data_samples'].img_shape for i in range(2)]


def test_toy_nlvr2_config_feeds_the_model(toyworld):
    """The toy NLVR2 config's pipeline packs both images' shapes, so its model runs on it."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'pixel_bert',
                                   'pixel-bert_r18-3l_caption-pre_1xb16-300it_toyworld-nlvr2.py'))
    init_default_scope('mmvl')
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.data_root = toyworld
    dataset = DATASETS.build(dataset)
    collate = FUNCTIONS.get(cfg.train_dataloader.collate_fn.type)
    model = MODELS.build(dict(cfg.model, init_cfg=None))
    batch = model.data_preprocessor(collate([dataset[0], dataset[1]]), True)
    assert [s.img_shape for s in batch['data_samples']] == [[(192, 192)] * 2] * 2
    losses = model(**batch, mode='loss')
    assert losses['loss_nlvr2'] > 0
