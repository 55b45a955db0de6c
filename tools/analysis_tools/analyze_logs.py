# Copyright (c) mmvl contributors. All rights reserved.
"""Plot training curves and compute training time from mmengine json logs.

Sub-commands follow mmdet's ``analyze_logs.py``: ``plot_curve`` and ``cal_train_time``. The
input is the json log that mmengine's ``LoggerHook`` writes,
``work_dir/<timestamp>/vis_data/<timestamp>.json``, or ``vis_data/scalars.json`` (same lines).
Each line is one logging event; training lines carry ``step`` (the global iteration, 1-based),
and ``epoch`` only when the run is epoch based; validation lines carry ``prefix/metric`` keys
(``coco/bbox_mAP``) with ``step`` being the epoch (epoch-based runs) or the iteration.

Iteration-based runs (every mmvl toy config) are plotted against iterations; epoch-based runs
against epochs (training values at fractional epochs).

Examples::

    python tools/analysis_tools/analyze_logs.py plot_curve \
        work_dirs/mae/20250101_120000/vis_data/scalars.json --keys loss --out loss.png
    python tools/analysis_tools/analyze_logs.py cal_train_time work_dirs/mae/*/vis_data/*.json
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')  # noqa: E402  (no display on the machines this runs on)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LogDict = Dict[str, List[dict]]


class LogFormatError(ValueError):
    """A log file that is not an mmengine json log, or lacks a requested key."""


def load_json_log(path: str) -> LogDict:
    """Split an mmengine json log into training and validation records.

    Args:
        path (str): A ``.json`` log (one json object per line).

    Returns:
        dict: ``{'train': [...], 'val': [...]}``, each a list of the line dicts in file order.
        A line is a validation record when one of its keys holds a ``/`` (``coco/bbox_mAP``).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'log file not found: {path}')
    log = dict(train=[], val=[])
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise LogFormatError(
                    f'{path}, line {lineno}: not json ({error.msg}); give the json log '
                    '(vis_data/<timestamp>.json or vis_data/scalars.json), not the text '
                    '.log') from None
            if not isinstance(record, dict) or 'step' not in record:
                raise LogFormatError(f'{path}, line {lineno}: no "step" key; not an mmengine '
                                     'json log')
            log['val' if any('/' in k for k in record) else 'train'].append(record)
    if not log['train'] and not log['val']:
        raise LogFormatError(f'{path} holds no log lines')
    return log


def _find_key(records: List[dict], key: str) -> Optional[str]:
    """Return the full key in ``records`` that ``key`` names (``bbox_mAP`` -> ``coco/bbox_mAP``)."""
    keys = {k for r in records for k in r}
    if key in keys:
        return key
    matches = sorted(k for k in keys if k.split('/')[-1] == key)
    return matches[0] if matches else None


def curve(log: LogDict, key: str, path: str) -> Tuple[np.ndarray, np.ndarray, str]:
    """Points of one curve and the x-axis unit.

    Args:
        log (dict): As returned by :func:`load_json_log`.
        key (str): A training key (``loss``) or a validation metric, full (``coco/bbox_mAP``)
            or short (``bbox_mAP``).
        path (str): The log file, for error messages.

    Returns:
        tuple: ``xs``, ``ys`` and ``'epoch'`` or ``'iter'``.
    """
    train, val = log['train'], log['val']
    by_epoch = any('epoch' in r for r in train)
    full = _find_key(train, key)
    if full is not None:
        records = [r for r in train if full in r]
        xs = np.array([r['step'] for r in records], dtype=float)
        if by_epoch:  # fractional epochs: global iteration / iterations per epoch
            last = next(r for r in reversed(train) if 'epoch' in r)
            iters_per_epoch = max(last['step'] / last['epoch'], 1.0)
            xs = xs / iters_per_epoch
        return xs, np.array([r[full] for r in records], dtype=float), (
            'epoch' if by_epoch else 'iter')
    full = _find_key(val, key)
    if full is not None:
        records = [r for r in val if full in r]
        return (np.array([r['step'] for r in records], dtype=float),
                np.array([r[full] for r in records], dtype=float),
                'epoch' if by_epoch else 'iter')
    available = sorted({k for r in train + val for k in r} - {'step', 'epoch', 'iter'})
    raise LogFormatError(f'{path} has no key "{key}"; it holds: {", ".join(available)}')


def plot_curve(logs: List[LogDict], args: argparse.Namespace) -> None:
    """Plot every ``--keys`` entry of every log into one figure and save it to ``--out``."""
    legend = args.legend
    if legend is None:
        legend = [
            f'{osp.splitext(osp.basename(p))[0]}_{k}' for p in args.json_logs for k in args.keys
        ]
    elif len(legend) != len(args.json_logs) * len(args.keys):
        raise LogFormatError(
            f'--legend has {len(legend)} entries but {len(args.json_logs)} log(s) x '
            f'{len(args.keys)} key(s) = {len(args.json_logs) * len(args.keys)} curves are drawn')
    style = args.style
    if style not in plt.style.available and f'seaborn-v0_8-{style}' in plt.style.available:
        style = f'seaborn-v0_8-{style}'  # mmdet's seaborn names ('dark', 'whitegrid')
    if style not in plt.style.available:
        raise LogFormatError(f'--style "{args.style}" is not a matplotlib style; choose from '
                             f'{", ".join(sorted(plt.style.available))}')
    plt.style.use(style)
    fig, ax = plt.subplots(figsize=(8, 5))
    units = set()
    for i, (path, log) in enumerate(zip(args.json_logs, logs)):
        for j, key in enumerate(args.keys):
            print(f'plot curve of {path}, metric is {key}')
            xs, ys, unit = curve(log, key, path)
            units.add(unit)
            many = len(xs) > 1
            ax.plot(xs, ys, label=legend[i * len(args.keys) + j],
                    linewidth=1.0, marker=None if many else 'o')
    ax.set_xlabel(' / '.join(sorted(units)))
    ax.legend()
    if args.title is not None:
        ax.set_title(args.title)
    fig.tight_layout()
    out = args.out or 'curve.png'
    fig.savefig(out)
    plt.close(fig)
    print(f'save curve to: {out}')


def cal_train_time(logs: List[LogDict], args: argparse.Namespace) -> None:
    """Print the average seconds per training iteration of each log (per epoch if any)."""
    for path, log in zip(args.json_logs, logs):
        print(f'{"-" * 5}Analyze train time of {path}{"-" * 5}')
        train = [r for r in log['train'] if 'time' in r]
        if not train:
            raise LogFormatError(f'{path} has no training lines with a "time" key')
        if any('epoch' in r for r in train):
            groups: Dict[int, List[float]] = {}
            for r in train:
                groups.setdefault(r['epoch'], []).append(r['time'])
            # The first logged value of an epoch includes the data loader start-up.
            means = {
                e: float(np.mean(t if args.include_outliers or len(t) == 1 else t[1:]))
                for e, t in groups.items()
            }
            slowest = max(means, key=means.get)
            fastest = min(means, key=means.get)
            print(f'slowest epoch {slowest}, average time is {means[slowest]:.4f} s/iter')
            print(f'fastest epoch {fastest}, average time is {means[fastest]:.4f} s/iter')
            print(f'time std over epochs is {np.std(list(means.values())):.4f}')
            average = float(np.mean(list(means.values())))
        else:
            times = [r['time'] for r in train]
            kept = times if args.include_outliers or len(times) == 1 else times[1:]
            average = float(np.mean(kept))
            print(f'logged iterations: {train[0]["step"]} to {train[-1]["step"]} '
                  f'({len(times)} log lines)')
            print(f'time std over log lines is {np.std(kept):.4f}')
        print(f'average iter time: {average:.4f} s/iter')
        print(f'{train[-1]["step"]} iterations at this average: '
              f'{average * train[-1]["step"] / 60:.1f} min\n')


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser with its two sub-commands."""
    parser = argparse.ArgumentParser(
        description='Analyze mmengine json logs (work_dir/<timestamp>/vis_data/*.json)')
    subparsers = parser.add_subparsers(dest='task', required=True, metavar='{plot_curve,'
                                       'cal_train_time}')
    plot = subparsers.add_parser('plot_curve', help='plot training/validation curves to a PNG')
    plot.add_argument('json_logs', nargs='+', help='json log file(s)')
    plot.add_argument(
        '--keys', nargs='+', default=['loss'],
        help='keys to plot: training keys (loss, loss_cls, lr, time) or validation metrics, '
        'full (coco/bbox_mAP) or short (bbox_mAP). Defaults to loss.')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument(
        '--legend', nargs='+', default=None,
        help='one label per curve, in the order log1-key1, log1-key2, ..., log2-key1, ... '
        '(defaults to <log name>_<key>)')
    plot.add_argument(
        '--style', default='ggplot',
        help='matplotlib style (see matplotlib.pyplot.style.available; seaborn names such as '
        'dark or whitegrid work too). Defaults to ggplot.')
    plot.add_argument('--out', default=None, help='output image. Defaults to curve.png.')
    time_parser = subparsers.add_parser(
        'cal_train_time', help='average time per training iteration')
    time_parser.add_argument('json_logs', nargs='+', help='json log file(s)')
    time_parser.add_argument(
        '--include-outliers', action='store_true',
        help='include the first logged time of each epoch (or of the run), which holds the '
        'data loader start-up')
    return parser


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    try:
        for path in args.json_logs:
            if not path.endswith('.json'):
                raise LogFormatError(f'{path} is not a .json log; give '
                                     'work_dir/<timestamp>/vis_data/<timestamp>.json or '
                                     'scalars.json')
        logs = [load_json_log(path) for path in args.json_logs]
        if args.task == 'plot_curve':
            plot_curve(logs, args)
        else:
            cal_train_time(logs, args)
    except (FileNotFoundError, LogFormatError) as error:
        parser.error(str(error))


if __name__ == '__main__':
    main()
