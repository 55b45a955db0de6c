# Copyright (c) mmvl contributors. All rights reserved.
"""Write the mmvl toy world (synthetic scenes in public data-set formats).

Example::

    python tools/dataset_converters/make_toyworld.py --out data/toyworld --num-images 200 --seed 0

Re-running with the same arguments produces byte-identical files. The layout is described in
``<out>/README.md``.
"""
import argparse
import os.path as osp
import sys
import time

try:
    from mmvl.datasets.toyworld import generate_toyworld
    from mmvl.datasets.toyworld.generate import DEFAULT_ACTION_CLIPS, argument_problems
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmvl.datasets.toyworld import generate_toyworld
    from mmvl.datasets.toyworld.generate import DEFAULT_ACTION_CLIPS, argument_problems


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and check the command line; exits with status 2 naming a bad argument."""
    parser = argparse.ArgumentParser(description='Generate the mmvl toy world.')
    parser.add_argument('--out', required=True, help='output folder (new, empty, or a previous '
                        'toy world, which is replaced)')
    parser.add_argument('--num-images', type=int, required=True,
                        help='scenes in train + val (>= 2)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (>= 0)')
    parser.add_argument('--image-size', type=int, default=160, help='image side in pixels')
    parser.add_argument('--val-fraction', type=float, default=0.2, help='share of val scenes')
    parser.add_argument('--num-videos', type=int, default=4, help='video clips')
    parser.add_argument('--num-frames', type=int, default=8, help='frames per clip')
    parser.add_argument('--images-per-class', type=int, default=None,
                        help='ImageNet-style train images per class '
                        '(default max(2, num_images // 8))')
    parser.add_argument('--num-action-clips', type=int, default=DEFAULT_ACTION_CLIPS,
                        help='labelled action clips in video/actions/ (0 or >= 2; default '
                        f'{DEFAULT_ACTION_CLIPS})')
    args = parser.parse_args(argv)
    problems = argument_problems(args.num_images, args.seed, args.image_size, args.val_fraction,
                                 args.num_videos, args.num_frames, args.images_per_class,
                                 args.num_action_clips)
    if problems:
        name, why = problems[0]
        flag = '--' + name.replace('_', '-')
        parser.error(f'argument {flag}: {why} (got {getattr(args, name)})')
    if osp.exists(args.out) and not osp.isdir(args.out):
        parser.error(f'argument --out: {args.out!r} exists and is not a directory')
    return args


def main(argv=None) -> int:
    """Generate the toy world and print what was written."""
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        summary = generate_toyworld(
            args.out, num_images=args.num_images, seed=args.seed, image_size=args.image_size,
            val_fraction=args.val_fraction, num_videos=args.num_videos,
            num_frames=args.num_frames, images_per_class=args.images_per_class,
            num_action_clips=args.num_action_clips,
            progress=lambda msg: print(msg, flush=True))
    except (FileExistsError, NotADirectoryError) as err:
        print(f'error: argument --out: {err}', file=sys.stderr)
        return 2
    print(f'done in {time.perf_counter() - start:.1f} s: {summary["out_dir"]}')
    for key, value in summary['counts'].items():
        print(f'  {key}: {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
