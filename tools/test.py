# Copyright (c) mmvl contributors. All rights reserved.
"""Test (and evaluate) a checkpoint. Flags follow mmdet's tools/test.py."""
import argparse
import os.path as osp
import sys

from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

# Run from a checkout: make `projects.*` (custom_imports of project configs) importable.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmvl.utils import register_all_modules  # noqa: E402
from mmvl.utils.cli import (add_common_args, check_data_roots,  # noqa: E402
                            finish_distributed, load_cfg)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--show-dir',
        help='draw predictions into PNGs in this directory (relative paths are under '
        'work_dir/<timestamp>/)')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds per --show image')
    add_common_args(parser)
    return parser.parse_args()


def trigger_visualization_hook(cfg, args):
    """Switch the config's visualization hook on, for mmdet's and mmpretrain's hooks."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise KeyError('--show/--show-dir need default_hooks.visualization in the config '
                       '(e.g. mmdet.DetVisualizationHook or mmpretrain.VisualizationHook)')
    if 'Det' in hook['type']:  # mmdet.DetVisualizationHook
        hook['draw'] = True
        hook['show'] = args.show
        hook['wait_time'] = args.wait_time
        if args.show_dir:
            hook['test_out_dir'] = args.show_dir
    else:  # mmpretrain.VisualizationHook
        hook['enable'] = True
        hook['show'] = args.show
        hook['wait_time'] = args.wait_time
        if args.show_dir:
            hook['out_dir'] = args.show_dir
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {args.checkpoint}')
    cfg = load_cfg(args)
    cfg.load_from = args.checkpoint
    check_data_roots(cfg, ('test', ))
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {args.out}')
        metric_types = [str(m.get('type', '')) for m in _as_list(cfg.test_evaluator)]
        if any(t.startswith('mmdet.') for t in metric_types):
            from mmdet.evaluation import DumpDetResults  # encodes masks as RLE
            runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
        else:
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()
    finish_distributed()


def _as_list(evaluator_cfg):
    metrics = evaluator_cfg.get('metrics', evaluator_cfg) if isinstance(
        evaluator_cfg, dict) and 'type' not in evaluator_cfg else evaluator_cfg
    return metrics if isinstance(metrics, (list, tuple)) else [metrics]


if __name__ == '__main__':
    main()
