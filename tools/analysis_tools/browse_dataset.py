# Copyright (c) mmvl contributors. All rights reserved.
"""Run a config's dataset pipeline and draw each sample with its annotations.

One PNG per sample is written to ``--output-dir`` (and shown in a window unless
``--not-show``). The drawing goes through the config's visualizer when it suits the samples:

* detection samples (``DetDataSample``) and mmdet's ``DetLocalVisualizer``: boxes, masks,
  class names, as mmdet's ``browse_dataset.py``;
* mmpretrain samples (``DataSample``): the image with its ground-truth label, through
  mmpretrain's ``UniversalVisualizer`` (built here if the config has another visualizer);
* anything else: mmengine's ``Visualizer`` draws what the sample holds (boxes, masks, labels).

Images come out of the pipeline, so they show the augmentations of that phase.

Example::

    python tools/analysis_tools/browse_dataset.py \
        configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py \
        --output-dir work_dirs/browse --not-show --max-samples 20
"""
import argparse
import copy
import os
import os.path as osp
import sys
from typing import Any, Callable, Optional, Tuple

import mmcv
import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement
from mmengine.utils import ProgressBar
from mmengine.visualization import Visualizer

from mmvl.registry import DATASETS, VISUALIZERS
from mmvl.utils import UnknownConfigKeyError, read_config, register_all_modules

# Samples drawn from small images (64 px toy classification crops) are upscaled to this size,
# so that the label text stays legible.
MIN_DRAW_SIZE = 256


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        description='Draw the samples of a config\'s dataset, after its pipeline, with their '
        'annotations (one PNG per sample).')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--output-dir', '-o', default=None, help='write the PNGs here')
    parser.add_argument(
        '--not-show', action='store_true', help='do not show the images in a window')
    parser.add_argument(
        '--phase', '-p', default='train', choices=['train', 'val', 'test'],
        help='which <phase>_dataloader.dataset to browse. Defaults to train.')
    parser.add_argument(
        '--max-samples', '-n', type=int, default=None,
        help='draw at most this many samples (defaults to the whole dataset)')
    parser.add_argument(
        '--show-interval', type=float, default=2, help='seconds per shown image')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as key=value pairs (e.g. '
        'train_dataloader.dataset.data_root=data/toyworld/); a key that the config does not '
        'hold is an error.')
    return parser


def to_rgb_image(inputs: Any) -> np.ndarray:
    """Turn packed pipeline ``inputs`` (C x H x W, BGR) into an H x W x 3 RGB uint8 image.

    Several views (a list, as multi-view self-supervised pipelines give) are put side by side.
    """
    if isinstance(inputs, (list, tuple)):
        views = [to_rgb_image(view) for view in inputs]
        height = max(v.shape[0] for v in views)
        views = [np.pad(v, ((0, height - v.shape[0]), (0, 0), (0, 0))) for v in views]
        return np.concatenate(views, axis=1)
    array = inputs.numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
    if array.ndim == 2:
        array = array[None]
    array = array.transpose(1, 2, 0)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[..., ::-1].clip(0, 255).astype(np.uint8))


def draw_detection(visualizer: Visualizer, name: str, image: np.ndarray,
                   sample: BaseDataElement, out_file: Optional[str],
                   args: argparse.Namespace) -> None:
    """Draw a ``DetDataSample``'s ground truth with mmdet's ``DetLocalVisualizer``."""
    from mmdet.structures.bbox import BaseBoxes
    gt = sample.get('gt_instances')
    if gt is not None and isinstance(gt.get('bboxes'), BaseBoxes):
        gt.bboxes = gt.bboxes.tensor  # the visualizer sums and slices a plain tensor
    visualizer.add_datasample(
        name, image, sample, draw_pred=False, show=not args.not_show,
        wait_time=args.show_interval, out_file=out_file)


def draw_classification(visualizer: Visualizer, name: str, image: np.ndarray,
                        sample: BaseDataElement, out_file: Optional[str],
                        args: argparse.Namespace) -> None:
    """Draw an mmpretrain ``DataSample`` and its label with ``UniversalVisualizer``."""
    small = max(image.shape[:2])
    visualizer.visualize_cls(
        image, sample, draw_pred=False,
        rescale_factor=MIN_DRAW_SIZE / small if small < MIN_DRAW_SIZE else None,
        show=not args.not_show, wait_time=args.show_interval, name=name, out_file=out_file)


def _names(visualizer: Visualizer, labels: Any) -> str:
    """Class names of ``labels`` if the dataset meta has them, else the indices."""
    classes = (visualizer.dataset_meta or {}).get('classes')
    indices = [int(i) for i in labels]
    if classes and all(0 <= i < len(classes) for i in indices):
        return ', '.join(classes[i] for i in indices)
    return ', '.join(map(str, indices))


def draw_generic(visualizer: Visualizer, name: str, image: np.ndarray,
                 sample: BaseDataElement, out_file: Optional[str],
                 args: argparse.Namespace) -> None:
    """Draw whatever boxes, masks and labels the sample holds with mmengine's ``Visualizer``."""
    visualizer.set_image(image)
    lines = []
    instances = sample.get('gt_instances')
    if instances is not None:
        bboxes = instances.get('bboxes')
        if bboxes is not None and len(bboxes):
            visualizer.draw_bboxes(getattr(bboxes, 'tensor', bboxes), edge_colors='lime')
        masks = instances.get('masks')
        if masks is not None and len(masks):
            masks = masks.to_ndarray() if hasattr(masks, 'to_ndarray') else np.asarray(masks)
            visualizer.draw_binary_masks(masks.astype(bool), alphas=0.5)
        if 'labels' in instances:
            lines.append(f'labels: {_names(visualizer, instances.labels)}')
    if 'gt_label' in sample:
        lines.append(f'label: {_names(visualizer, sample.gt_label)}')
    if not lines:
        lines.append(f'{name}: {image.shape[1]}x{image.shape[0]}')
    visualizer.draw_texts('\n'.join(lines), np.array([2, 2]), colors='white', font_sizes=8)
    drawn = visualizer.get_image()
    if not args.not_show:
        visualizer.show(drawn, win_name=name, wait_time=args.show_interval)
    if out_file is not None:
        mmcv.imwrite(drawn[..., ::-1], out_file)


def choose_drawer(visualizer: Visualizer,
                  sample: BaseDataElement) -> Tuple[Callable, Visualizer]:
    """Pick the drawing function (and visualizer) that suits ``sample``."""
    from mmdet.structures import DetDataSample
    from mmdet.visualization import DetLocalVisualizer
    from mmpretrain.structures import DataSample
    from mmpretrain.visualization import UniversalVisualizer

    if isinstance(sample, DetDataSample) and isinstance(visualizer, DetLocalVisualizer):
        return draw_detection, visualizer
    if isinstance(sample, DataSample):
        if not isinstance(visualizer, UniversalVisualizer):
            cls_visualizer = UniversalVisualizer(name='mmvl_browse_dataset')
            cls_visualizer.dataset_meta = visualizer.dataset_meta
            visualizer = cls_visualizer
        return draw_classification, visualizer
    return draw_generic, visualizer


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    if args.not_show and args.output_dir is None:
        parser.error('--not-show without --output-dir would draw nothing anywhere')
    if args.max_samples is not None and args.max_samples <= 0:
        parser.error(f'--max-samples must be positive, got {args.max_samples}')
    register_all_modules(init_default_scope=False)
    try:
        cfg = read_config(args.config, args.cfg_options)
    except (FileNotFoundError, UnknownConfigKeyError) as error:
        parser.error(str(error))
    loader_cfg = cfg.get(f'{args.phase}_dataloader')
    if not loader_cfg or 'dataset' not in loader_cfg:
        parser.error(f'{args.config} has no {args.phase}_dataloader.dataset; try another '
                     '--phase')

    init_default_scope(cfg.get('default_scope', 'mmvl'))
    dataset = DATASETS.build(loader_cfg.dataset)
    if 'visualizer' in cfg:
        # Without storage backends: the PNGs are written here, not under a work dir.
        vis_cfg = copy.deepcopy(cfg.visualizer)
        vis_cfg.pop('vis_backends', None)
        visualizer = VISUALIZERS.build(vis_cfg)
    else:
        visualizer = Visualizer.get_instance('mmvl_browse_dataset')
    visualizer.dataset_meta = dataset.metainfo
    if args.output_dir is not None:
        os.makedirs(args.output_dir, exist_ok=True)
    if len(dataset) == 0:
        sys.exit(f'browse_dataset.py: error: the {args.phase} dataset of {args.config} is empty')

    total = len(dataset) if args.max_samples is None else min(args.max_samples, len(dataset))
    item = dataset[0]
    drawer, visualizer = choose_drawer(visualizer, item['data_samples'])
    print(f'drawing {total} {type(item["data_samples"]).__name__}s with '
          f'{type(visualizer).__name__} ({drawer.__name__})', flush=True)
    progress = ProgressBar(total)
    for index in range(total):
        item = item if index == 0 else dataset[index]
        sample = item['data_samples']
        stem = osp.splitext(osp.basename(sample.get('img_path') or f'sample{index}'))[0]
        name = f'{index:05d}_{stem}'
        out_file = None if args.output_dir is None else osp.join(args.output_dir, name + '.png')
        drawer(visualizer, name, to_rgb_image(item['inputs']), sample, out_file, args)
        progress.update()
    print(f'\n{total} samples drawn' + (f' to {args.output_dir}' if args.output_dir else ''))


if __name__ == '__main__':
    main()
