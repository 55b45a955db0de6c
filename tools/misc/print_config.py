# Copyright (c) mmvl contributors. All rights reserved.
"""Print the whole config after inheritance and ``--cfg-options``. Flags follow mmdet's tool.

Unlike mmdet's and mmpretrain's versions, a ``--cfg-options`` key that the config does not
hold (``default_hooks.loger.interval=5``) is refused with an error naming it, through
:func:`mmvl.utils.check_cfg_options`, the check ``tools/train.py`` applies. (A misspelt argument
of a component, ``train_cfg.max_iter``, passes that check; ``tools/train.py`` then fails when it
builds the component, but this tool builds nothing.)

Example::

    python tools/misc/print_config.py configs/mae/mae_vit-toy-p8_1xb32-800it_toyworld.py \
        --cfg-options train_cfg.max_iters=100 --save-path work_dirs/mae_full.py
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmvl.utils import UnknownConfigKeyError, read_config

SAVE_SUFFIXES = ('.py', '.json', '.yml', '.yaml')


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        description='Print the whole config, with its bases merged and --cfg-options applied.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--save-path',
        default=None,
        help=f'also save the whole config there; the suffix ({", ".join(SAVE_SUFFIXES)}) '
        'chooses the format')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs (e.g. '
        'train_cfg.max_iters=100); a list is key="[a,b]". A key that the config does not '
        'hold is an error.')
    return parser


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    if args.save_path is not None and not args.save_path.endswith(SAVE_SUFFIXES):
        parser.error(f'--save-path must end with one of {", ".join(SAVE_SUFFIXES)}, '
                     f'got {args.save_path}')
    try:
        cfg = read_config(args.config, args.cfg_options)
    except (FileNotFoundError, UnknownConfigKeyError) as error:
        parser.error(str(error))

    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        save_dir = osp.dirname(osp.abspath(args.save_path))
        os.makedirs(save_dir, exist_ok=True)
        cfg.dump(args.save_path)
        print(f'Config saved to {args.save_path}')


if __name__ == '__main__':
    main()
