# Copyright (c) mmvl contributors. All rights reserved.
"""Train several configs over several seeds and tabulate their final validation metrics.

Each (config, seed) run is ``tools/train.py <config> --work-dir <root>/<config name>/seed<s>
--resume --cfg-options randomness.seed=<s>`` in a subprocess, so a killed sweep continues where
it stopped and finished runs are not repeated. The runs go seed by seed (every config with
seed 0, then every config with seed 1, ...), so a sweep stopped early still compares all
configs. The table gives, per config and metric, the mean and standard deviation over the
seeds that finished, and every seed's value.

Example (the SWORD evidence in ``configs/sword/README.md``)::

    python tools/analysis_tools/seed_sweep.py \
        configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld-base2novel.py \
        configs/sword/sword_r18_1xb4-1000it_toyworld-base2novel_no-stopgrad.py \
        configs/sword/sword_r18_1xb4-1000it_toyworld-base2novel_no-queue.py \
        configs/sword/sword_r18_1xb4-1000it_toyworld-base2novel.py \
        --seeds 0 1 --work-root work_dirs/sword_evidence \
        --metrics open_world/bbox_AR@10 open_world/bbox_AR@100 open_world/segm_AR@100 \
                  open_world/bbox_AP open_world/segm_AP
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files to compare')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='random seeds')
    parser.add_argument('--work-root', default='work_dirs/seed_sweep',
                        help='runs go to <work-root>/<config name>/seed<s>')
    parser.add_argument('--metrics', nargs='+', default=None,
                        help='metric keys to tabulate (default: every final metric)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides passed to every training run')
    parser.add_argument('--scale', type=float, default=100.0,
                        help='multiply metrics by this in the table (default: percent)')
    parser.add_argument('--percent-keys', nargs='*', default=['refer/'],
                        help='metrics whose key contains one of these are already in percent '
                        'and are not scaled (default: mmvl ReferringMetric\'s refer/)')
    parser.add_argument('--out', default=None, help='also write the results as json here')
    parser.add_argument('--dry-run', action='store_true',
                        help='only tabulate runs that already finished')
    parser.add_argument('--retest', action='store_true',
                        help='score every finished run\'s last checkpoint with tools/test.py on '
                        'the config as it is now (into <run>/retest, once) and tabulate those '
                        'metrics instead of the last validation: for an evaluation set changed '
                        'after training')
    return parser.parse_args(argv)


def config_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def run_names(configs: Sequence[str]) -> Dict[str, str]:
    """A distinct name per config: its file name, or, for file names that several configs
    share (e.g. ``configs/spark/benchmarks/x.py`` and ``configs/mcl/benchmarks/x.py``),
    ``<algorithm folder>/<file name>``, the folder being the one below ``configs/``."""
    names = {}
    for config in configs:
        name = config_name(config)
        if sum(config_name(c) == name for c in configs) > 1:
            parts = osp.normpath(osp.abspath(config)).split(osp.sep)
            folder = parts[parts.index('configs') + 1] if 'configs' in parts[:-1] \
                else parts[-2]
            name = f'{folder}/{name}'
        names[config] = name
    if len(set(names.values())) < len(set(configs)):
        raise ValueError(f'configs with the same name in the same folder: {sorted(configs)}')
    return names


def final_metrics(work_dir: str) -> Optional[Dict[str, float]]:
    """The last validation record of a run (None if it has not validated yet).

    Reads every ``vis_data/scalars.json`` under ``work_dir`` (a resumed run writes a new
    timestamped folder) and returns the record with the highest step among those that hold
    metrics rather than losses.
    """
    best_step, best = -1, None
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'loss' in record or 'lr' in record:
                    continue
                step = int(record.get('step', 0))
                if step >= best_step:
                    best_step, best = step, record
    if best is None:
        return None
    return {k: float(v) for k, v in best.items()
            if isinstance(v, (int, float)) and k not in ('step', 'data_time', 'time')}


def test_metrics(work_dir: str) -> Optional[Dict[str, float]]:
    """The metrics of the newest ``tools/test.py`` run in ``<work_dir>/retest`` (or None)."""
    records = sorted(glob.glob(osp.join(work_dir, 'retest', '*', '*.json')))
    if not records:
        return None
    with open(records[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    if not lines:
        return None
    return {k: float(v) for k, v in lines[-1].items()
            if isinstance(v, (int, float)) and k not in ('step', 'data_time', 'time')}


def retest(config: str, work_dir: str, cfg_options: List[str], name: str) -> None:
    """Score the run's last checkpoint with ``tools/test.py``; output in ``<work_dir>/retest``."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    out_dir = osp.join(work_dir, 'retest')
    os.makedirs(out_dir, exist_ok=True)
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), config, checkpoint,
           '--work-dir', out_dir]
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    print(f'[seed_sweep] {name}: testing {checkpoint}', flush=True)
    with open(osp.join(out_dir, 'test.log'), 'a') as log:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f'testing {checkpoint} with {config} failed (exit code '
                           f'{proc.returncode}); see {osp.join(out_dir, "test.log")}')


def run(config: str, seed: int, work_dir: str, cfg_options: List[str],
        name: Optional[str] = None) -> None:
    """Train (or resume) one run; its output goes to ``<work_dir>/run.log``."""
    os.makedirs(work_dir, exist_ok=True)
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir',
           work_dir, '--resume', '--cfg-options', f'randomness.seed={seed}', *cfg_options]
    start = time.time()
    name = name or config_name(config)
    print(f'[seed_sweep] {name} seed {seed}: training, log in '
          f'{osp.join(work_dir, "run.log")}', flush=True)
    with open(osp.join(work_dir, 'run.log'), 'a') as log:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f'training {config} with seed {seed} failed (exit code '
                           f'{proc.returncode}); see {osp.join(work_dir, "run.log")}')
    print(f'[seed_sweep] {name} seed {seed}: done in '
          f'{(time.time() - start) / 60:.1f} min', flush=True)


def mean_std(values: Sequence[float]) -> str:
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f'{mean:.1f}'
    std = math.sqrt(sum((v - mean)**2 for v in values) / (len(values) - 1))
    return f'{mean:.1f} ± {std:.1f}'


def table(results: Dict[str, Dict[int, Dict[str, float]]], metrics: Sequence[str],
          scale: float, percent_keys: Sequence[str] = ()) -> str:
    """A markdown table: one row per config, mean ± std (per-seed values) per metric.

    Metrics whose key contains one of ``percent_keys`` are not multiplied by ``scale``. A
    column is headed by the key's last part unless two metrics share it.
    """
    last = [m.split('/')[-1] for m in metrics]
    short = [name if last.count(name) == 1 else metric for name, metric in zip(last, metrics)]
    lines = ['| config | seeds | ' + ' | '.join(short) + ' |',
             '|---|---|' + '---|' * len(metrics)]
    for name, by_seed in results.items():
        seeds = sorted(by_seed)
        cells = []
        for metric in metrics:
            factor = 1.0 if any(key in metric for key in percent_keys) else scale
            values = [by_seed[s][metric] * factor for s in seeds if metric in by_seed[s]]
            if not values:
                cells.append('n/a')
            elif len(values) == 1:
                cells.append(f'{values[0]:.1f}')
            else:
                cells.append(f'{mean_std(values)} ({", ".join(f"{v:.1f}" for v in values)})')
        lines.append(f'| {name} | {",".join(map(str, seeds)) or "-"} | ' + ' | '.join(cells) +
                     ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Dict[int, Dict[str, float]]]:
    args = parse_args(argv)
    for config in args.configs:
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file {config} does not exist')
    names = run_names(args.configs)
    work_dirs = {(c, s): osp.join(args.work_root, names[c], f'seed{s}')
                 for c in args.configs for s in args.seeds}
    if not args.dry_run:
        for seed in args.seeds:
            for config in args.configs:
                if final_metrics(work_dirs[config, seed]) is None:
                    run(config, seed, work_dirs[config, seed], args.cfg_options, names[config])
    results: Dict[str, Dict[int, Dict[str, float]]] = {}
    for config in args.configs:
        results[names[config]] = {}
        for seed in args.seeds:
            work_dir = work_dirs[config, seed]
            metrics = final_metrics(work_dir)
            if args.retest and metrics is not None:
                if test_metrics(work_dir) is None:
                    retest(config, work_dir, args.cfg_options, f'{names[config]} seed {seed}')
                metrics = test_metrics(work_dir)
            if metrics is not None:
                results[names[config]][seed] = metrics
    metrics = args.metrics or sorted(
        {k for by_seed in results.values() for m in by_seed.values() for k in m})
    print(table(results, metrics, args.scale, args.percent_keys))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
