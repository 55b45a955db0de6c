# Copyright (c) mmvl contributors. All rights reserved.
"""Count a model's parameters and FLOPs with mmengine's analysis tools (``mmengine.analysis``).

Works for mmdet detectors and for mmpretrain classifiers and self-supervised models (and mmvl
models built on them). The model is traced on one random input of ``--shape``:

* detectors: ``forward(mode='tensor')`` with a synthetic data sample (image meta only), as
  mmdet's tool does with a real image. Two-stage heads then run on the RPN's proposals, so their
  FLOPs depend on how many survive NMS (at most ``test_cfg.rpn.max_per_img``).
* other models: ``forward(mode='tensor')``; if that does not trace, ``extract_feat``, then the
  backbone alone (mmpretrain's tool counts only ``extract_feat``).

The parameter count always covers the whole model (a self-supervised decoder included), FLOPs
only the traced path, which the output names. As in mmengine, one multiply-add counts as one
FLOP. mmengine 0.10.7 has no counter for ``aten::scaled_dot_product_attention``, which
mmpretrain's attention calls on torch >= 2.0, so ViT attention products would be missing; this
tool adds one (:func:`sdpa_flop_jit`). What :func:`mmengine.analysis.get_model_complexity_info`
does is otherwise unchanged, done here with its parts so that the extra counter can be set.

Example::

    python tools/analysis_tools/get_flops.py \
        configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py --shape 160 160
"""
import argparse
import math
import sys
from typing import Any, Callable, List, Optional, Tuple

import torch
from mmengine.analysis import ActivationAnalyzer, FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.analysis.print_helper import _format_size, complexity_stats_table
from mmengine.config import Config, DictAction
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from mmvl.registry import MODELS
from mmvl.utils import UnknownConfigKeyError, read_config, register_all_modules

SPLIT_LINE = '=' * 40


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """FLOPs of ``aten::scaled_dot_product_attention`` (multiply-adds of its two products).

    With query (..., L, E), key (..., S, E) and value (..., S, Ev): ``Q @ K^T`` costs
    ``L * S * E`` and ``softmax(.) @ V`` costs ``L * S * Ev`` per leading (batch, head) index.
    """
    query, key, value = (get_shape(v) for v in inputs[:3])
    batch = math.prod(query[:-2])
    length, dims = query[-2:]
    return batch * length * key[-2] * (dims + value[-1])


EXTRA_FLOP_HANDLES = {'aten::scaled_dot_product_attention': sdpa_flop_jit}


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs of the model of a config '
        '(mmengine.analysis on one random input).')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape', type=int, nargs='+', default=None, metavar='N',
        help='input size: H W, or one number for a square. Defaults to the backbone\'s '
        '`img_size` if it has one, else 224 224. Detector inputs are padded up to the data '
        'preprocessor\'s pad_size_divisor, as in training.')
    parser.add_argument(
        '--show-table', action='store_true',
        help='also print mmengine\'s per-module table of parameters and FLOPs')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as key=value pairs; a key that the config '
        'does not hold is an error.')
    return parser


def input_shape(cfg: Config, shape: Optional[List[int]]) -> Tuple[int, int]:
    """Resolve ``--shape`` into ``(H, W)``, falling back on the backbone's ``img_size``."""
    if shape is None:
        img_size = cfg.model.get('backbone', {}).get('img_size', 224)
        shape = list(img_size) if isinstance(img_size, (list, tuple)) else [img_size]
    if len(shape) == 1:
        shape = shape * 2
    if len(shape) != 2 or min(shape) <= 0:
        raise ValueError(f'--shape takes H W or one size, got {shape}')
    return shape[0], shape[1]


def traced_paths(model: torch.nn.Module,
                 hw: Tuple[int, int]) -> Tuple[torch.Tensor, List[Tuple[str, Callable]]]:
    """The input and the candidate callables to trace, best first.

    Args:
        model (nn.Module): The built model, in eval mode.
        hw (tuple[int, int]): Input height and width.

    Returns:
        tuple: The input tensor (1, 3, H, W) and ``(name, callable)`` candidates.
    """
    from mmdet.models.detectors import BaseDetector
    from mmdet.structures import DetDataSample

    h, w = hw
    if isinstance(model, BaseDetector):
        divisor = getattr(model.data_preprocessor, 'pad_size_divisor', 1) or 1
        h, w = math.ceil(h / divisor) * divisor, math.ceil(w / divisor) * divisor
        if (h, w) != hw:
            print(f'Input padded from {hw} to {(h, w)} (pad_size_divisor={divisor})')
        meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                    batch_input_shape=(h, w), scale_factor=(1.0, 1.0))
        samples = [DetDataSample(metainfo=meta)]
        forward = model.forward
        candidates = [("forward(mode='tensor')",
                       lambda x: forward(x, data_samples=samples, mode='tensor'))]
    else:
        forward = model.forward
        candidates = [("forward(mode='tensor')", lambda x: forward(x, mode='tensor'))]
    if hasattr(model, 'extract_feat'):
        candidates.append(('extract_feat', model.extract_feat))
    if isinstance(getattr(model, 'backbone', None), torch.nn.Module):
        candidates.append(('backbone', model.backbone))
    return torch.randn(1, 3, h, w), candidates


def analyze(model: torch.nn.Module, hw: Tuple[int, int], show_table: bool = False) -> dict:
    """Trace the first candidate path that works and return mmengine's complexity info.

    Args:
        model (nn.Module): The built model, in eval mode.
        hw (tuple[int, int]): Input height and width.
        show_table (bool): Whether mmengine should render its table. Defaults to False.

    Returns:
        dict: ``flops``, ``activations``, ``params`` (ints), ``out_table`` (str, empty unless
        ``show_table``), ``path`` (the traced callable) and ``input_shape``.

    Raises:
        RuntimeError: Naming each path tried and why it failed.
    """
    inputs, candidates = traced_paths(model, hw)
    failures = []
    for name, fn in candidates:
        model.forward = fn  # traced as ``model(inputs)``, so parameter names stay the model's
        try:
            flops = FlopAnalyzer(model, (inputs, )).set_op_handle(**EXTRA_FLOP_HANDLES)
            activations = ActivationAnalyzer(model, (inputs, ))
            with torch.no_grad():
                info = dict(flops=flops.total(), activations=activations.total())
                info['out_table'] = complexity_stats_table(
                    flops=flops, activations=activations,
                    show_param_shapes=True) if show_table else ''
        except Exception as error:  # a path that does not trace: try the next one
            failures.append(f'{name}: {type(error).__name__}: {str(error).splitlines()[0]}')
            continue
        finally:
            del model.forward  # back to the class's forward
        if failures:
            print('Paths that did not trace:\n  ' + '\n  '.join(failures))
        return dict(info, params=parameter_count(model)[''], path=name,
                    input_shape=tuple(inputs.shape))
    raise RuntimeError(f'no path of {type(model).__name__} could be traced:\n  ' +
                       '\n  '.join(failures))


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    register_all_modules(init_default_scope=False)
    try:
        cfg = read_config(args.config, args.cfg_options)
        if 'model' not in cfg:
            parser.error(f'{args.config} has no `model`')
        hw = input_shape(cfg, args.shape)
    except (FileNotFoundError, UnknownConfigKeyError, ValueError) as error:
        parser.error(str(error))

    init_default_scope(cfg.get('default_scope', 'mmvl'))
    model = MODELS.build(cfg.model)
    model = revert_sync_batchnorm(model)
    model.eval()
    print(f'Tracing {type(model).__name__} on a {hw[0]}x{hw[1]} input ...', flush=True)
    try:
        info = analyze(model, hw, args.show_table)
    except RuntimeError as error:
        sys.exit(f'get_flops.py: error: {error}')

    if args.show_table:
        print(info['out_table'])
    n_params = info['params']
    print(f'{SPLIT_LINE}\n'
          f'Model: {type(model).__name__} ({type(model).__module__.split(".")[0]})\n'
          f'Traced path: {info["path"]}\n'
          f'Input shape: {info["input_shape"]}\n'
          f'Flops: {_format_size(info["flops"])}\n'
          f'Params: {_format_size(n_params)} ({n_params:,})\n'
          f'Activation: {_format_size(info["activations"])}\n{SPLIT_LINE}')
    print('Params count the whole model; FLOPs only the traced path. Check that all ops are '
          'supported (see warnings above) before quoting these numbers.')


if __name__ == '__main__':
    main()
