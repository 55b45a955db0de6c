# Copyright (c) mmvl contributors. All rights reserved.
"""Helpers for tests: locating shipped configs and pointing them at a small toy world."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

import mmvl

__all__ = [
    'get_config_path', 'get_toyworld_config', 'toyworld_cfg_options', 'REPO_ROOT', 'UNEVEN_SHAPES',
    'get_model_cfg', 'demo_det_batch'
]

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(mmvl.__file__)))


def get_config_path(relative: str) -> str:
    """Path of a shipped config, found through the installed package (``mmvl/.mim/configs``)."""
    path = osp.join(osp.dirname(mmvl.__file__), '.mim', 'configs', relative)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no shipped config {relative} (looked at {path})')
    return path


def _set_data_root(node, data_root: str) -> None:
    """Replace every ``data_root`` (and paths built from the default root) under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'data_root' and isinstance(value, str):
                suffix = value.split('data/toyworld/', 1)[-1] if 'data/toyworld/' in value else ''
                node[key] = osp.join(data_root, suffix)
            elif key == 'ann_file' and isinstance(value, str) and value.startswith('data/toyworld/'):
                node[key] = osp.join(data_root, value[len('data/toyworld/'):])
            else:
                _set_data_root(value, data_root)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _set_data_root(item, data_root)


def get_toyworld_config(relative: str,
                        data_root: str,
                        work_dir: Optional[str] = None,
                        **overrides) -> Config:
    """Load a shipped toy-world config with its data under ``data_root``.

    Args:
        relative (str): Config path relative to ``configs/``.
        data_root (str): The generated toy world's directory.
        work_dir (str, optional): Work dir to set. Defaults to None.
        **overrides: Merged into the config with ``merge_from_dict`` (dotted keys allowed).

    Returns:
        Config: The config, ready for ``Runner.from_cfg``.
    """
    cfg = Config.fromfile(get_config_path(relative))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator'):
        if cfg.get(key) is not None:
            _set_data_root(cfg[key], data_root)
    if work_dir is not None:
        cfg.work_dir = work_dir
    if overrides:
        cfg.merge_from_dict(overrides)
    return cfg


def toyworld_cfg_options(data_root: str, kind: str = 'instance') -> list:
    """``--cfg-options`` that point a toy-world config at ``data_root`` (for subprocess tests).

    Args:
        data_root (str): The generated toy world's directory.
        kind (str): ``'instance'`` (COCO instances configs), ``'det_ref'`` (COCO instances
            joined with RefCOCO refs), ``'refcoco'`` (RefCOCO refs only), ``'refcoco_seen_novel'``
            (refs, validated on a seen and a novel split), ``'shapes'``
            (ImageNet-style class folders) or ``'shapes_unlabelled'`` (their train images for
            self-supervised configs). Defaults to ``'instance'``.

    Returns:
        list[str]: ``key=value`` strings.
    """
    root = data_root.rstrip('/') + '/'
    if kind == 'det_ref':  # ConcatDataset of COCO instances and RefCOCO refs (UNINEXT)
        ann = root + 'annotations/instances_val.json'
        return [
            f'{loader}.dataset.datasets.{i}.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
            for i in (0, 1)
        ] + [f'val_evaluator.metrics.0.ann_file={ann}', f'test_evaluator.metrics.0.ann_file={ann}']
    if kind == 'refcoco_seen_novel':  # refs; validation on seen + novel splits (MCRES)
        return [f'train_dataloader.dataset.data_root={root}'] + [
            f'{loader}.dataset.datasets.{i}.data_root={root}'
            for loader in ('val_dataloader', 'test_dataloader') for i in (0, 1)
        ]
    if kind == 'refcoco':  # RefCOCODataset in every loader (LAVT)
        return [
            f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        ]
    if kind == 'instance':
        ann = root + 'annotations/instances_val.json'
        return [
            f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}', f'val_evaluator.ann_file={ann}',
            f'test_evaluator.ann_file={ann}'
        ]
    if kind == 'shapes_unlabelled':
        return [f'train_dataloader.dataset.data_root={root}imagenet/']
    if kind == 'shapes':
        return [
            f'train_dataloader.dataset.data_root={root}imagenet/',
            f'val_dataloader.dataset.data_root={root}imagenet/',
            f'test_dataloader.dataset.data_root={root}imagenet/'
        ]
    raise ValueError(
        f"kind must be 'instance', 'det_ref', 'refcoco', 'refcoco_seen_novel', 'shapes' or "
        f"'shapes_unlabelled', "
        f'got {kind!r}')


#: Uneven image sizes (C, H, W) for detector tests: non-square, not multiples of 32.
UNEVEN_SHAPES = ((3, 160, 160), (3, 97, 131))


def get_model_cfg(relative: str):
    """A deep copy of a shipped config's ``model`` (mmdet's ``get_detector_cfg`` for mmvl)."""
    return Config.fromfile(get_config_path(relative)).model.deepcopy()


def demo_det_batch(model, image_shapes=UNEVEN_SHAPES, num_classes: int = 8,
                   with_mask: bool = True, training: bool = True) -> dict:
    """A seeded fake detection batch, already through ``model.data_preprocessor``.

    Wraps mmdet's ``demo_mm_inputs`` (fixed ``RandomState(0)`` boxes and masks), so the same
    call gives the same batch.

    Args:
        model (nn.Module): An mmdet-style detector with a ``data_preprocessor``.
        image_shapes (tuple): One (C, H, W) per image. Defaults to :data:`UNEVEN_SHAPES`.
        num_classes (int): Number of classes of the fake labels. Defaults to 8.
        with_mask (bool): Whether to add instance masks. Defaults to True.
        training (bool): Passed to the data preprocessor. Defaults to True.

    Returns:
        dict: ``inputs`` and ``data_samples`` for ``model(**batch, mode=...)``.
    """
    from mmdet.testing import demo_mm_inputs
    packed = demo_mm_inputs(
        len(image_shapes), list(map(list, image_shapes)), num_classes=num_classes,
        with_mask=with_mask)
    return model.data_preprocessor(packed, training)
