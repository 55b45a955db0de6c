# Copyright (c) mmvl contributors. All rights reserved.
"""Measure training and inference throughput of one config, or compare two side by side.

Training speed is one ``model.train_step`` (data preprocessor, forward, backward, optimizer
step through the config's optim wrapper) per iteration; inference speed one ``model.test_step``
under ``torch.no_grad``. Both run on real batches of the config's dataloaders, fetched once
before timing, so data loading is not measured. Weights are as constructed (no checkpoint, no
``init_cfg``), so heads whose work depends on the predictions (NMS, proposal counts) may run
faster or slower than with trained weights.

With two configs, repetitions interleave (config1, config2, config1, config2, ...) so that
machine noise hits both, and the time ratio config2/config1 is printed from the median and
the minimum times, with the spread of the per-repetition ratios. mmvl's own speed claims
compare against the reference implementation this way (see DESIGN.md).

Example::

    python tools/analysis_tools/benchmark.py configs/mae/mae_vit-toy-p8_1xb32-800it_toyworld.py \
        configs/mae/my_variant.py --task train --iters 20 --repeats 5 --out bench.json
"""
import argparse
import copy
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from torch import nn
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmvl.registry import MODELS
from mmvl.utils import UnknownConfigKeyError, read_config, register_all_modules

DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'
# Distinct batches kept per task; longer runs cycle through them.
MAX_BATCHES = 8


class BenchmarkError(RuntimeError):
    """A config that cannot be benchmarked for the requested task."""


@dataclass
class Subject:
    """One config under test: its model, optimizer wrapper and pre-fetched batches."""
    label: str
    path: str
    cfg: Config
    model: torch.nn.Module
    batches: Dict[str, List[dict]] = field(default_factory=dict)
    times: Dict[str, List[float]] = field(default_factory=dict)  # seconds per iteration
    samples: Dict[str, int] = field(default_factory=dict)  # samples per batch
    optim_wrapper: Any = None


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    parser = argparse.ArgumentParser(
        description='Training (train_step) and inference (test_step) throughput of a config; '
        'with a second config, both are measured in one run with interleaved repetitions and '
        'the time ratio config2/config1 is printed.')
    parser.add_argument('config', help='config file path')
    parser.add_argument('config2', nargs='?', help='a second config to compare with the first')
    parser.add_argument(
        '--task', choices=['train', 'inference', 'both'], default='both',
        help='what to measure. Defaults to both (inference is skipped, with a note, for a '
        'model that has no predict mode, e.g. a self-supervised pre-training model).')
    parser.add_argument(
        '--iters', type=int, default=20, help='timed iterations per repetition. Defaults to 20.')
    parser.add_argument(
        '--warmup', type=int, default=5,
        help='untimed iterations first, per config and task (at least 1: it also checks that '
        'the step runs). Defaults to 5.')
    parser.add_argument(
        '--repeats', type=int, default=3,
        help='repetitions, interleaved between the configs. Defaults to 3.')
    parser.add_argument(
        '--batch-size', type=int, default=None,
        help='batch size of the dataloaders (defaults to each config\'s own)')
    parser.add_argument('--out', help='write the measurements to this .json file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of both configs, as key=value pairs (e.g. '
        'train_dataloader.dataset.data_root=...); a key a config does not hold is an error.')
    return parser


def load_config(path: str, options: Optional[dict], batch_size: Optional[int]) -> Config:
    """Load a config, refusing unknown ``--cfg-options`` keys, and set up its dataloaders."""
    cfg = read_config(path, options)
    for phase in ('train', 'val', 'test'):
        loader = cfg.get(f'{phase}_dataloader')
        if loader:  # batches are fetched once, so worker processes would only cost start-up
            loader.update(num_workers=0, persistent_workers=False)
            if batch_size is not None:
                loader.batch_size = batch_size
    return cfg


def prefetch(loader_cfg: ConfigDict, count: int, what: str) -> List[dict]:
    """Fetch ``count`` batches (cycling a short dataset) from a dataloader config.

    Args:
        loader_cfg (ConfigDict): A ``*_dataloader`` config.
        count (int): Number of batches.
        what (str): Names the dataloader in errors.

    Returns:
        list[dict]: Collated batches, as the runner's loops feed them to the model.
    """
    print(f'fetching {count} batch(es) from {what} ...', flush=True)
    loader = Runner.build_dataloader(copy.deepcopy(loader_cfg), seed=0)
    batches: List[dict] = []
    while len(batches) < count:
        before = len(batches)
        for batch in loader:
            batches.append(batch)
            if len(batches) == count:
                break
        if len(batches) == before:
            raise BenchmarkError(f'{what} yields no batches')
    return batches


def revert_mmcv_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace mmcv.ops' SyncBatchNorm (which needs CUDA and a process group) by plain BN.

    torch's SyncBatchNorm runs as a BatchNorm in a single process, so it stays: reverting it
    too would turn subclasses such as SparK's sparse SyncBN into a dense BN.
    """
    try:
        from mmcv.ops import SyncBatchNorm as MMCVSyncBatchNorm
    except ImportError:  # mmcv without ops has no such layer
        return module
    if isinstance(module, MMCVSyncBatchNorm):
        return revert_sync_batchnorm(module)
    for name, child in module.named_children():
        setattr(module, name, revert_mmcv_sync_batchnorm(child))
    return module


def build_subject(label: str, path: str, args: argparse.Namespace, tasks: List[str]) -> Subject:
    """Build the model, optimizer wrapper and batches of one config."""
    cfg = load_config(path, args.cfg_options, args.batch_size)
    count = min(max(args.iters, args.warmup, 1), MAX_BATCHES)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmvl')):
        torch.manual_seed(0)
        # No init_weights(): it could load or download `Pretrained` weights, and does not
        # change the work a step does.
        model = revert_mmcv_sync_batchnorm(MODELS.build(cfg.model)).to(DEVICE)
        subject = Subject(label, path, cfg, model)
        if 'train' in tasks:
            if not cfg.get('train_dataloader') or not cfg.get('optim_wrapper'):
                raise BenchmarkError(f'{path}: training needs train_dataloader and optim_wrapper')
            subject.optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
            subject.batches['train'] = prefetch(cfg.train_dataloader, count, f'{path}: '
                                                'train_dataloader')
        if 'inference' in tasks:
            phase = next((p for p in ('test', 'val', 'train') if cfg.get(f'{p}_dataloader')),
                         None)
            if phase is None:
                raise BenchmarkError(f'{path} has no dataloader to take inference batches from')
            subject.batches['inference'] = prefetch(cfg[f'{phase}_dataloader'], count,
                                                    f'{path}: {phase}_dataloader')
    for task, batches in subject.batches.items():
        first = batches[0]  # data samples count samples also when inputs hold several views
        subject.samples[task] = len(first.get('data_samples') or first['inputs'])
        subject.times[task] = []
    return subject


def step_fn(subject: Subject, task: str) -> Callable[[dict], Any]:
    """The callable timed for one iteration of ``task``."""
    if task == 'train':
        subject.model.train()
        return lambda batch: subject.model.train_step(batch, subject.optim_wrapper)
    subject.model.eval()

    def infer(batch: dict) -> Any:
        with torch.no_grad():
            return subject.model.test_step(batch)

    return infer


def run(subject: Subject, task: str, iters: int) -> float:
    """Run ``iters`` iterations of ``task`` and return the mean seconds per iteration."""
    batches = subject.batches[task]
    step = step_fn(subject, task)
    total = 0.0
    with DefaultScope.overwrite_default_scope(subject.cfg.get('default_scope', 'mmvl')):
        for i in range(iters):
            # A fresh copy, made outside the timed span: some steps write into data samples.
            batch = copy.deepcopy(batches[i % len(batches)])
            if DEVICE == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
            step(batch)
            if DEVICE == 'cuda':
                torch.cuda.synchronize()
            total += time.perf_counter() - start
    return total / iters


def summarize(subject: Subject, task: str) -> Dict[str, Any]:
    """Median and minimum ms/iter and samples/s of one subject and task."""
    ms = [t * 1000 for t in subject.times[task]]
    median, best = statistics.median(ms), min(ms)
    return dict(config=subject.path, batch_size=subject.samples[task], ms_per_iter=ms,
                median_ms_per_iter=median, min_ms_per_iter=best,
                samples_per_s=subject.samples[task] * 1000 / median)


def compare(first: Subject, second: Subject, task: str) -> Dict[str, float]:
    """Time ratios config2/config1: of the medians, of the minima, and per repetition."""
    paired = [b / a for a, b in zip(first.times[task], second.times[task])]
    return dict(
        median_ratio=statistics.median(second.times[task]) / statistics.median(first.times[task]),
        min_ratio=min(second.times[task]) / min(first.times[task]),
        paired_min=min(paired), paired_median=statistics.median(paired), paired_max=max(paired))


def measure(task: str, subjects: List[Subject], args: argparse.Namespace) -> Optional[dict]:
    """Warm up, then time interleaved repetitions of ``task``; print and return the numbers.

    Returns:
        dict, optional: Per-config summaries (and the ratio for two configs); None when
        inference was skipped because a model has no predict mode.
    """
    for s in subjects:  # the warm-up also finds a model that cannot run inference
        try:
            run(s, task, args.warmup)
        except (NotImplementedError, RuntimeError) as error:
            if task == 'train':
                raise
            reason = f'{s.path}: test_step failed: {type(error).__name__}: {error}'
            if args.task == 'inference':
                sys.exit(f'benchmark.py: error: {reason}')
            print(f'[inference] skipped. {reason}', flush=True)
            return None
    for rep in range(args.repeats):
        line = []
        for s in subjects:  # interleaved: config1, config2, config1, config2, ...
            s.times[task].append(run(s, task, args.iters))
            line.append(f'{s.label} {s.times[task][-1] * 1000:.1f} ms/iter')
        print(f'[{task}] repetition {rep + 1}/{args.repeats}: ' + ', '.join(line), flush=True)

    entry: Dict[str, Any] = {s.label: summarize(s, task) for s in subjects}
    print(f'\n[{task}] {args.iters} iterations x {args.repeats} repetitions')
    for s in subjects:
        e = entry[s.label]
        print(f'  {s.label}: {e["samples_per_s"]:.2f} samples/s, '
              f'{e["median_ms_per_iter"]:.1f} ms/iter (median), '
              f'{e["min_ms_per_iter"]:.1f} ms/iter (min), batch {e["batch_size"]}')
    if len(subjects) == 2:
        ratio = compare(subjects[0], subjects[1], task)
        entry['ratio_config2_over_config1'] = ratio
        print(f'  time ratio config2/config1: {ratio["median_ratio"]:.3f} (medians), '
              f'{ratio["min_ratio"]:.3f} (minima); per repetition min '
              f'{ratio["paired_min"]:.3f} / median {ratio["paired_median"]:.3f} / max '
              f'{ratio["paired_max"]:.3f} (>1: config2 is slower)')
    return entry


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    for name in ('iters', 'warmup', 'repeats', 'batch_size'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, got {value}')
    tasks = ['train', 'inference'] if args.task == 'both' else [args.task]
    register_all_modules(init_default_scope=False)
    # mmengine logs every initialised parameter and optimizer option at INFO through the
    # current logger; a WARNING-level logger created now becomes the current one.
    MMLogger.get_instance('mmvl_benchmark', log_level='WARNING')
    paths = [args.config] + ([args.config2] if args.config2 else [])
    try:
        subjects = [build_subject(f'config{i + 1}', p, args, tasks) for i, p in enumerate(paths)]
    except (FileNotFoundError, UnknownConfigKeyError, BenchmarkError) as error:
        parser.error(str(error))
    for s in subjects:
        print(f'{s.label}: {s.path} ({type(s.model).__name__}, batch '
              f'{s.samples.get("train", s.samples.get("inference"))}, {DEVICE})', flush=True)

    results: Dict[str, Any] = dict(device=DEVICE, iters=args.iters, warmup=args.warmup,
                                   repeats=args.repeats, tasks={})
    for task in tasks:
        entry = measure(task, subjects, args)
        if entry is not None:
            results['tasks'][task] = entry
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(results, f, indent=2)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
