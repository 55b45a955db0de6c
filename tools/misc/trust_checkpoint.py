# Copyright (c) mmvl contributors. All rights reserved.
"""Mark checkpoint files as trusted, so that mmvl may unpickle them, or check whether they are.

On torch >= 2.6, mmvl loads a checkpoint that holds Python objects (an mmengine resume
checkpoint: message hub, numpy scalars) only if it is signed with this user's key, which every
mmvl run does for the checkpoints it writes (see :mod:`mmvl.engine.runner.checkpoint`). Sign a
file yourself only if you trust where it came from: unpickling runs whatever code the file holds.

Examples::

    python tools/misc/trust_checkpoint.py work_dirs/old_run/iter_600.pth
    python tools/misc/trust_checkpoint.py --check work_dirs/old_run/*.pth
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmvl.engine.runner.checkpoint import (SIGNATURE_SUFFIX, TRUST_ENV, is_trusted,
                                           sign_checkpoint)

WARNING = (
    'WARNING: a checkpoint is a pickle, and unpickling a file runs any code it contains. '
    'Signing tells mmvl to load these files with the full unpickler (weights_only=False). '
    'Sign only files you produced yourself or whose source you trust.')


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        description='Sign checkpoint files with this user\'s mmvl key so that they load with '
        'the full unpickler on torch >= 2.6 (unpickling runs code: sign only files you '
        'trust), or with --check report whether each is trusted.',
        epilog=f'Signatures are written next to each file as <file>{SIGNATURE_SUFFIX}. '
        f'Files or directories listed in ${TRUST_ENV} are trusted without a signature. '
        'With --check, the exit status is 1 if any file is not trusted.')
    parser.add_argument('checkpoints', nargs='+', metavar='ckpt', help='checkpoint file(s)')
    parser.add_argument(
        '--check', action='store_true', help='only report whether each file is trusted')
    return parser


def describe(path: str) -> str:
    """One line saying whether ``path`` is trusted and why not.

    Args:
        path (str): An existing checkpoint file.

    Returns:
        str: ``'trusted'`` or ``'NOT trusted (...)'``.
    """
    if is_trusted(path):
        return 'trusted'
    if osp.isfile(f'{path}{SIGNATURE_SUFFIX}'):
        return ('NOT trusted (the signature does not match: the file changed after signing, '
                'or it was signed with another key)')
    return 'NOT trusted (no signature)'


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = [path for path in args.checkpoints if not osp.isfile(path)]
    if missing:
        parser.error(f'checkpoint file not found: {", ".join(missing)}')

    if args.check:
        untrusted = 0
        for path in args.checkpoints:
            status = describe(path)
            untrusted += status != 'trusted'
            print(f'{path}: {status}')
        return 1 if untrusted else 0

    print(WARNING, file=sys.stderr)
    for path in args.checkpoints:
        sign_checkpoint(path)
        print(f'signed {path} -> {path}{SIGNATURE_SUFFIX}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
