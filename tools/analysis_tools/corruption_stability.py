# Copyright (c) mmvl contributors. All rights reserved.
"""How much a backbone's features move when its input images are corrupted.

TBM (Li et al., CVPR 2023) reports that its pre-training makes features more stable under
corruption. For each image of a classification config's test set this script extracts the
backbone's features (the config's ``model.backbone``, e.g. a linear-probe config with its
pre-trained ``init_cfg``) of the clean image and of the same image corrupted by
:class:`mmvl.datasets.transforms.ImageCorruption` (inserted right after ``LoadImageFromFile``),
and prints the mean cosine similarity of the two, and the mean relative distance
||f(corrupted) - f(clean)|| / ||f(clean)||.

Example (the TBM evidence in ``configs/tbm/README.md``)::

    python tools/analysis_tools/corruption_stability.py \\
        configs/tbm/benchmarks/vit-tbm-toy-p8_linear-1xb64-300it_toyworld.py \\
        --checkpoint work_dirs/tbm_evidence/tbm_c/seed0/iter_800.pth \\
        --corruption gaussian_noise --severity 5
"""
import argparse
import copy
import sys
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.config import DictAction


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a classification config with a clean test set (its '
                        'model.backbone and test_dataloader are used)')
    parser.add_argument('--checkpoint', default=None,
                        help='pre-training checkpoint for model.backbone.init_cfg (default: the '
                        "config's own)")
    parser.add_argument('--corruption', nargs='+', default=['gaussian_noise'])
    parser.add_argument('--severity', type=int, nargs='+', default=[5])
    parser.add_argument('--seed', type=int, default=0, help='corruption seed')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='key=value overrides of the config')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from mmengine.dataset import default_collate
    from mmengine.registry import DefaultScope

    from mmvl.registry import DATASETS, MODELS
    from mmvl.utils import read_config, register_all_modules

    register_all_modules()
    DefaultScope.get_instance('corruption_stability', scope_name='mmvl')
    cfg = read_config(args.config, args.cfg_options)
    if args.checkpoint:
        cfg.model.backbone.init_cfg.checkpoint = args.checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    datasets = []
    for corrupt in (False, True):
        dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
        pipeline = [dict(t) for t in dataset_cfg.pipeline]
        if corrupt:
            pipeline.insert(1, dict(type='mmvl.ImageCorruption', corruption=args.corruption,
                                    severity=args.severity, seed=args.seed))
        dataset_cfg.pipeline = pipeline
        datasets.append(DATASETS.build(dataset_cfg))
    cosines, distances = [], []
    with torch.no_grad():
        for start in range(0, len(datasets[0]), args.batch_size):
            feats = []
            for dataset in datasets:
                items = [dataset[i] for i in range(start, min(start + args.batch_size,
                                                              len(dataset)))]
                data = model.data_preprocessor(default_collate(items), False)
                feats.append(model.extract_feat(data['inputs'])[-1].flatten(1))
            clean, corrupted = feats
            cosines.append(F.cosine_similarity(clean, corrupted, dim=1))
            distances.append((corrupted - clean).norm(dim=1) / clean.norm(dim=1))
    cosine, distance = torch.cat(cosines).mean().item(), torch.cat(distances).mean().item()
    print(f'{len(datasets[0])} images, {args.corruption} severity {args.severity}: '
          f'cosine(clean, corrupted) {cosine:.4f}, relative distance {distance:.4f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
