# Copyright (c) mmvl contributors. All rights reserved.
"""The base of every mmvl task inferencer.

mmengine's :class:`~mmengine.infer.BaseInferencer` holds the workflow (preprocess -> forward ->
visualize -> postprocess, each call's keyword arguments routed by the ``*_kwargs`` sets).
:class:`MMVLInferencer` adds what every mmvl task shares:

* the config's ``default_scope`` (``'mmvl'`` when it names none) is active while the inferencer
  builds and runs, and restored afterwards (mmdet's inferencer sets it for the whole process);
* the model comes from :func:`mmvl.apis.init_model`, so the weights go through mmengine's
  ``load_checkpoint`` and hence mmvl's safe checkpoint loader;
* inputs are image files, directories of images (sorted by name), numpy arrays (BGR, as cv2
  reads them) or dicts for the pipeline; each gets an output name (the file stem, or a running
  number for arrays) used for ``<out_dir>/vis/<name>.png`` and ``<out_dir>/preds/<name>.json``;
* a missing config, weights or input file, and an unreadable image, raise one error naming it;
* each batch is visualised and post-processed as it comes, so a large directory is not held in
  memory (drawn images are returned only with ``return_vis=True``).

A task inferencer implements ``_init_pipeline``, ``visualize`` and ``postprocess``.
"""
import os
import os.path as osp
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.infer import BaseInferencer
from mmengine.registry import DefaultScope
from mmengine.visualization import Visualizer
from rich.progress import track

from .model import ConfigLike, init_model, load_config

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
InputType = Union[str, Path, np.ndarray, dict]
InputsType = Union[InputType, Sequence[InputType]]


class InputError(ValueError):
    """An inferencer input that cannot be read or preprocessed; the message names it."""


class MMVLInferencer(BaseInferencer):
    """Base inferencer of mmvl: config, weights, device, scope, inputs and output names.

    Args:
        model (str, Path, Config, ConfigDict or dict): Config file path or config object.
            Model names from metafiles are not supported yet.
        weights (str, optional): Checkpoint file. Defaults to None (random weights, with a
            warning).
        device (str, optional): Device to run on. Defaults to None: 'cuda' if available,
            else 'cpu'.
        cfg_options (dict, optional): Overrides of config keys, as ``--cfg-options``.
            Defaults to None.
        show_progress (bool): Whether to show a progress bar over batches. Defaults to True.
    """

    visualize_kwargs: set = {'return_vis', 'show', 'wait_time', 'no_save_vis'}
    postprocess_kwargs: set = {'print_result', 'no_save_pred', 'return_datasamples'}

    def __init__(self,
                 model: ConfigLike,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[Dict[str, Any]] = None,
                 show_progress: bool = True) -> None:
        cfg = load_config(model, cfg_options)
        if weights is not None and '://' not in weights and not osp.isfile(weights):
            raise FileNotFoundError(f'weights (checkpoint) file not found: {weights}')
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.num_unnamed_inputs = 0  # names `00000000`, `00000001`, ... for arrays
        scope = cfg.get('default_scope') or 'mmvl'
        with DefaultScope.overwrite_default_scope(scope):
            super().__init__(
                model=cfg, weights=weights, device=device, scope=scope,
                show_progress=show_progress)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu') -> nn.Module:
        return init_model(cfg, weights, device=device)

    def _init_visualizer(self, cfg: Config) -> Optional[Visualizer]:
        """Build the config's visualizer without its storage backends, with the class names."""
        if cfg.get('visualizer') is None:
            return None
        # The inferencer writes its own files; a LocalVisBackend without save_dir only warns.
        cfg.visualizer.pop('vis_backends', None)
        cfg.visualizer.pop('save_dir', None)
        visualizer = super()._init_visualizer(cfg)
        visualizer.dataset_meta = self.model.dataset_meta
        return visualizer

    def __call__(self,
                 inputs: InputsType,
                 batch_size: int = 1,
                 out_dir: str = '',
                 **kwargs) -> Dict[str, list]:
        """Run inference on ``inputs``, batch by batch.

        Args:
            inputs (str, Path, np.ndarray, dict or a sequence of them): Image files,
                directories of images, BGR arrays (H x W x 3, or H x W grey) or pipeline dicts.
            batch_size (int): Images per forward. Defaults to 1.
            out_dir (str): Directory for ``vis/`` and ``preds/``. Defaults to '' (no files).
            **kwargs: Arguments of :meth:`preprocess`, :meth:`forward`, :meth:`visualize` and
                :meth:`postprocess`, as named in the ``*_kwargs`` class sets.

        Returns:
            dict: ``predictions`` (one entry per input, in input order) and ``visualization``
            (drawn RGB images, only with ``return_vis=True``; else empty).
        """
        preprocess_kwargs, forward_kwargs, visualize_kwargs, postprocess_kwargs = \
            self._dispatch_kwargs(**kwargs)
        items = self._inputs_to_list(inputs)
        named = list(zip(items, self._name_inputs(items)))
        results: Dict[str, list] = dict(predictions=[], visualization=[])
        with DefaultScope.overwrite_default_scope(self.scope):
            batches = self.preprocess(named, batch_size=batch_size, **preprocess_kwargs)
            if self.show_progress:
                num_batches = (len(named) + batch_size - 1) // batch_size
                batches = track(batches, description='Inference', total=num_batches)
            for batch_items, batch_names, data in batches:
                preds = self.forward(data, **forward_kwargs)
                vis = self.visualize(
                    batch_items, preds, names=batch_names, out_dir=out_dir, **visualize_kwargs)
                out = self.postprocess(
                    preds, vis, names=batch_names, out_dir=out_dir, **postprocess_kwargs)
                results['predictions'].extend(out['predictions'])
                results['visualization'].extend(out['visualization'] or [])
        return results

    def _inputs_to_list(self, inputs: InputsType) -> List[Union[str, np.ndarray, dict]]:
        """Flatten ``inputs`` into single images; directories become their sorted image files.

        Raises:
            FileNotFoundError: For a path that does not exist or a directory without images.
        """
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        items: List[Union[str, np.ndarray, dict]] = []
        for item in inputs:
            if isinstance(item, Path):
                item = str(item)
            if isinstance(item, str) and '://' not in item:
                if osp.isdir(item):
                    files = sorted(
                        name for name in os.listdir(item)
                        if name.lower().endswith(IMG_EXTENSIONS)
                        and osp.isfile(osp.join(item, name)))
                    if not files:
                        raise FileNotFoundError(
                            f'no image files ({", ".join(IMG_EXTENSIONS)}) in directory: {item}')
                    items.extend(osp.join(item, name) for name in files)
                    continue
                if not osp.isfile(item):
                    raise FileNotFoundError(f'input image not found: {item}')
            elif isinstance(item, np.ndarray):
                if item.ndim == 2:
                    item = mmcv.gray2bgr(item)
                if item.ndim != 3 or item.shape[2] != 3:
                    raise InputError(
                        f'an input array must be H x W x 3 (BGR) or H x W, got shape {item.shape}')
            elif not isinstance(item, (str, dict)):
                raise InputError(f'unsupported input type {type(item).__name__}: expected a '
                                 'file or directory path, a numpy array or a dict')
            items.append(item)
        return items

    def _name_inputs(self, items: Sequence[Union[str, np.ndarray, dict]]) -> List[str]:
        """Output names: the file stem, or a running number; repeats get ``_1``, ``_2``."""
        names: List[str] = []
        for item in items:
            path = item.get('img_path') if isinstance(item, dict) else item
            if isinstance(path, str):
                stem = osp.splitext(osp.basename(path))[0]
            else:
                stem = f'{self.num_unnamed_inputs:08d}'
                self.num_unnamed_inputs += 1
            name, k = stem, 1
            while name in names:
                name, k = f'{stem}_{k}', k + 1
            names.append(name)
        return names

    def _transform(self, item: Union[str, np.ndarray, dict], name: str) -> dict:
        """Run the test pipeline on one input, naming the input in any error."""
        try:
            return self.pipeline(dict(item) if isinstance(item, dict) else item)
        except Exception as error:
            what = item if isinstance(item, str) else f'input {name!r}'
            raise InputError(f'cannot read or preprocess {what}: '
                             f'{type(error).__name__}: {error}') from error

    def preprocess(self,
                   inputs: Sequence[Tuple[Any, str]],
                   batch_size: int = 1,
                   **kwargs) -> Iterator[Tuple[list, List[str], Any]]:
        """Transform and collate ``(input, name)`` pairs batch by batch.

        Yields:
            tuple: The batch's original inputs, their names and the collated model input.
        """
        batch: List[Tuple[Any, str, dict]] = []
        for item, name in inputs:
            batch.append((item, name, self._transform(item, name)))
            if len(batch) == batch_size:
                yield [b[0] for b in batch], [b[1] for b in batch], self.collate_fn(
                    [b[2] for b in batch])
                batch = []
        if batch:
            yield [b[0] for b in batch], [b[1] for b in batch], self.collate_fn(
                [b[2] for b in batch])

    @staticmethod
    def rgb_image(item: Union[str, np.ndarray, dict]) -> np.ndarray:
        """The original input image as RGB (H x W x 3), for drawing on."""
        if isinstance(item, dict):
            item = item['img'] if 'img' in item else item['img_path']
        if isinstance(item, np.ndarray):
            return mmcv.bgr2rgb(item)
        image = mmcv.imread(item, channel_order='rgb')
        if image is None:
            raise InputError(f'cannot read image: {item}')
        return image

    @staticmethod
    def output_path(out_dir: str, kind: str, name: str, suffix: str) -> Optional[str]:
        """``<out_dir>/<kind>/<name><suffix>``, or None when ``out_dir`` is empty."""
        return osp.join(out_dir, kind, name + suffix) if out_dir else None
