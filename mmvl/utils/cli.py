# Copyright (c) mmvl contributors. All rights reserved.
"""What ``tools/train.py`` and ``tools/test.py`` share: common flags and config loading."""
import argparse
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, DictAction

from .config import read_config


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags mmdet's train and test tools share."""
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and results')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs (e.g. '
        'train_cfg.max_iters=100 or model.backbone.depth=50); a list is key="[a,b]". A key '
        'that the config does not hold is an error.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_cfg(args: argparse.Namespace) -> Config:
    """Load the config and apply ``--cfg-options``, ``--work-dir`` and ``--launcher``.

    The work dir follows mmdet: the CLI wins, then ``work_dir`` in the file, then
    ``work_dirs/<config name>``. Distributed runs without CUDA use the ``gloo`` backend.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = read_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.launcher != 'none' and not torch.cuda.is_available():
        _setup_cpu_distributed(cfg, args.launcher)
    _use_signed_atomic_checkpoints(cfg)
    return cfg


def _use_signed_atomic_checkpoints(cfg: Config) -> None:
    """Make the checkpoint hook write through ``mmvl_local`` whatever config it comes from.

    mmvl's default runtime sets this already; mmdet and mmpretrain configs (or configs that
    replace the hook) do not, and their checkpoints would then be neither atomic nor signed, so
    ``--resume`` would refuse them on torch >= 2.6. Hooks writing elsewhere (``out_dir`` with a
    remote prefix, or their own ``backend_args``) are left alone.
    """
    hook = cfg.get('default_hooks', {}).get('checkpoint')
    if hook is None or hook.get('backend_args') is not None:
        return
    if '://' in str(hook.get('out_dir') or ''):
        return
    hook['backend_args'] = dict(backend='mmvl_local')

def _setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Distributed runs without CUDA: gloo process group and a CPU-capable DDP wrapper."""
    from mmvl.engine.runner import init_cpu_process_group
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    init_cpu_process_group(launcher, backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='mmvl.MMVLDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    print(f'distributed on CPU: gloo backend, rank {os.environ.get("RANK")} of '
          f'{os.environ.get("WORLD_SIZE")}')


def finish_distributed() -> None:
    """Tear the process group down before exit.

    mmengine leaves it open; a gloo process that then exits while its communication threads
    are alive can abort (``terminate called without an active exception``) after the run itself
    succeeded.
    """
    import torch.distributed as torch_dist
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def check_data_roots(cfg: Config, splits) -> None:
    """Fail early, with one clear error, when a dataloader's ``data_root`` does not exist.

    Covers every dataset class (mmdet's, mmpretrain's, mmvl's), before the runner spends
    seconds building the model; dataset wrappers (``dataset.dataset``) are followed.

    Args:
        cfg (Config): The loaded config.
        splits (Iterable[str]): Dataloader prefixes to check, e.g. ``('train', 'val')``.
    """
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        dataset = loader.get('dataset') if loader else None
        while isinstance(dataset, dict):
            root = dataset.get('data_root')
            if isinstance(root, str) and root and '://' not in root and not os.path.isdir(root):
                raise FileNotFoundError(
                    f'data root not found: {root} ({split}_dataloader.dataset.data_root). Make '
                    'the toy world with `python tools/dataset_converters/make_toyworld.py --out '
                    'data/toyworld`, or point the config at your data with --cfg-options '
                    f'{split}_dataloader.dataset.data_root=PATH')
            dataset = dataset.get('dataset')


def enable_amp(cfg: Config) -> Optional[str]:
    """Turn on mixed precision: fp16 ``AmpOptimWrapper`` on CUDA, bf16 autocast on the CPU.

    On the CPU, a config-level ``cpu_amp_modules`` list limits bf16 autocast to those submodules
    (see :class:`mmvl.engine.BF16AutocastOptimWrapper`).

    Returns:
        str: The optimizer wrapper type chosen.
    """
    if 'optim_wrapper' not in cfg:
        raise KeyError('--amp needs an `optim_wrapper` in the config')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:
        cfg.optim_wrapper.type = 'mmvl.BF16AutocastOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        # Models whose heads call compiled ops without bf16 CPU kernels name the submodules
        # that may run in bf16.
        if cfg.get('cpu_amp_modules') is not None:
            cfg.optim_wrapper.autocast_modules = list(cfg.cpu_amp_modules)
    return cfg.optim_wrapper.type
