# Copyright (c) mmvl contributors. All rights reserved.
"""Build a model from a config for inference: :func:`init_model`, as mmdet's ``init_detector``.

The weights go through mmengine's ``load_checkpoint``, whose local loader mmvl replaces
(:mod:`mmvl.engine.runner.checkpoint`): plain weight files load with ``weights_only=True``, and
only checkpoints signed by the user's own mmvl runs are fully unpickled.
"""
import copy
import os.path as osp
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from mmvl.registry import DATASETS, MODELS
from mmvl.utils import check_cfg_options, register_all_modules

ConfigLike = Union[str, Path, Config, ConfigDict, dict]


def load_config(config: ConfigLike, cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read a config and apply overrides, without touching the caller's object.

    Args:
        config (str, Path, Config, ConfigDict or dict): Config file path or config object.
        cfg_options (dict, optional): ``--cfg-options``-style overrides (``{'a.b': value}``);
            a key the config does not hold is an error. Defaults to None.

    Returns:
        Config: A new config holding a ``model`` entry.

    Raises:
        FileNotFoundError: If ``config`` is a path that does not exist.
        TypeError: If ``config`` is of another type.
        KeyError: If the config has no ``model``.
    """
    if isinstance(config, (str, Path)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        cfg = Config.fromfile(str(config))
        source = str(config)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
        source = cfg.filename or 'the given Config'
    elif isinstance(config, dict):  # ConfigDict is a dict
        cfg = Config(copy.deepcopy(dict(config)))
        source = 'the given config dict'
    else:
        raise TypeError(f'config must be a file path or a Config, but got {type(config)}')
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise KeyError(f'{source} has no `model` entry')
    return cfg


def config_dataset_meta(cfg: Config) -> Dict[str, Any]:
    """Class names, palette and other dataset metainfo that a config's test set declares.

    The dataset class's ``METAINFO`` is updated with the config's ``metainfo``, as the dataset
    itself would do, without building the dataset (no annotation file is read). Dataset
    wrappers (``dataset=dict(...)`` inside) are looked through; of a concatenation
    (``datasets=[...]``), the first source counts.

    Args:
        cfg (Config): The config, with ``default_scope`` deciding where types are found.

    Returns:
        dict: Metainfo with lower-case keys; empty if the config declares no test set.
    """
    dataset = None
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset is not None:
            break
    meta: Dict[str, Any] = {}
    while dataset is not None:
        level_meta: Dict[str, Any] = {}
        dataset_type = dataset.get('type')
        if isinstance(dataset_type, str):
            scope = cfg.get('default_scope') or 'mmvl'
            with DATASETS.switch_scope_and_registry(scope) as registry:
                dataset_cls = registry.get(dataset_type)
            level_meta.update(copy.deepcopy(getattr(dataset_cls, 'METAINFO', None) or {}))
        level_meta.update(copy.deepcopy(dict(dataset.get('metainfo') or {})))
        meta = {**level_meta, **meta}  # an outer wrapper's metainfo wins
        # a wrapper such as RepeatDataset, or a ConcatDataset (its first source names classes)
        dataset = dataset.get('dataset') or next(iter(dataset.get('datasets') or []), None)
    return {k.lower(): v for k, v in meta.items()}


def checkpoint_dataset_meta(checkpoint: Dict[str, Any]) -> Dict[str, Any]:
    """Dataset metainfo saved in a checkpoint's ``meta`` (mmengine runners save it).

    Args:
        checkpoint (dict): A loaded checkpoint.

    Returns:
        dict: Metainfo with lower-case keys; ``{'classes': ...}`` for old ``CLASSES`` metas;
        the first source's for a concatenation of data sets; empty if the checkpoint saved
        none.
    """
    meta = checkpoint.get('meta') or {}
    if 'dataset_meta' in meta:
        dataset_meta = meta['dataset_meta']
        if isinstance(dataset_meta, (list, tuple)):
            # mmdet's ConcatDataset of sources with different classes saves one metainfo per
            # source (UNINEXT: COCO classes, then RefCOCO's 'object'): the first names them
            dataset_meta = dataset_meta[0] if dataset_meta else {}
        return {k.lower(): v for k, v in dataset_meta.items()}
    if 'CLASSES' in meta:
        return {'classes': meta['CLASSES']}
    return {}


def init_model(config: ConfigLike,
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[Dict[str, Any]] = None) -> nn.Module:
    """Build the model of a config, load its weights and put it in eval mode.

    The model is built in the config's ``default_scope`` (``'mmvl'`` if it names none), which
    is restored afterwards. SyncBN layers become plain BN. ``model.cfg`` holds the config and
    ``model.dataset_meta`` the class names and palette: the config's test-set metainfo,
    overridden by the checkpoint's (the weights were trained with those classes); a model
    with ``class_agnostic=True`` names its one class ``'object'``.

    Args:
        config (str, Path, Config, ConfigDict or dict): Config file path or config object.
        checkpoint (str, optional): Weights file (or URL). Defaults to None: the model keeps
            its random initialisation, with a warning.
        device (str): Device to put the model on. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides of config keys. Defaults to None.

    Returns:
        nn.Module: The model, in eval mode, with ``cfg`` and ``dataset_meta`` attached.

    Raises:
        FileNotFoundError: If the config or the checkpoint file does not exist.
    """
    register_all_modules(init_default_scope=False)
    cfg = load_config(config, cfg_options)
    if checkpoint is not None and '://' not in checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'weights (checkpoint) file not found: {checkpoint}')
    # An old-style `pretrained` entry would make the model fetch ImageNet weights.
    cfg.model.pop('pretrained', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope') or 'mmvl'):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
        dataset_meta = config_dataset_meta(cfg)
    if checkpoint is None:
        warnings.warn('No weights given: the model is randomly initialised.')
    else:
        loaded = load_checkpoint(model, checkpoint, map_location='cpu', logger='current')
        dataset_meta.update(checkpoint_dataset_meta(loaded))
    if getattr(model, 'class_agnostic', False):
        # one class "object" whatever the training classes were (e.g. SWORD)
        dataset_meta['classes'] = ('object', )
    model.cfg = cfg
    model.dataset_meta = dataset_meta
    model.to(device)
    model.eval()
    return model
