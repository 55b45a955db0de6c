# Copyright (c) mmvl contributors. All rights reserved.
"""Train a model from an mmvl (or mmdet/mmpretrain) config. Flags follow mmdet's tools/train.py."""
import argparse
import os.path as osp
import sys

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

# Run from a checkout: make `projects.*` (custom_imports of project configs) importable.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmvl.utils import register_all_modules  # noqa: E402
from mmvl.utils.cli import (add_common_args, check_data_roots,  # noqa: E402
                            enable_amp, finish_distributed, load_cfg)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: fp16 with loss scaling on CUDA, bf16 autocast on CPU')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual over the base batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest checkpoint in the '
        'work dir')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not validate during training')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_cfg(args)

    if args.amp:
        wrapper = enable_amp(cfg)
        print(f'--amp: using {wrapper}')
    if args.auto_scale_lr:
        if not {'enable', 'base_batch_size'} <= set(cfg.get('auto_scale_lr', {})):
            raise KeyError('--auto-scale-lr needs auto_scale_lr=dict(enable=..., '
                           'base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    check_data_roots(cfg, ('train', 'val'))
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
