# Copyright (c) mmvl contributors. All rights reserved.
"""Turn any mmvl self-supervised checkpoint into a backbone checkpoint for mmdet or mmpretrain.

A pre-training checkpoint holds the whole pretext model: the backbone, and the parts that only
pre-training needs (decoders, projectors, predictors, mask tokens, momentum copies). A
downstream config wants the backbone alone. mmvl's self-supervised models keep the backbone
under ``backbone.`` with the key names of the dense mmpretrain / mmdet backbone (SparK's sparse
layers are subclasses of the dense ones; MCL, MoCo v3, MAE and CMAE hold plain backbones), so
the conversion is a selection, not a rename:

- keys under ``--src-prefix`` (default ``backbone.``) are kept, with that prefix replaced by
  ``--dst-prefix`` (default empty: the form mmdet's ``init_cfg=dict(type='Pretrained',
  checkpoint=...)`` on a backbone loads; use ``--dst-prefix backbone.`` for a whole-model
  checkpoint);
- every other key is dropped, and the dropped top-level modules are listed;
- ``--exclude`` drops backbone keys too (fnmatch patterns on the key without its prefix), e.g.
  ``'tbms.*'`` for a TBM backbone going into a plain ``VisionTransformer`` (TBM removed
  downstream);
- with ``--check-config``, the result is loaded strictly into the backbone that the config
  builds (``model.backbone``), and any missing or unexpected key is an error. mmpretrain's and
  mmdet's ResNets share their key names, so one file serves both. Layers that exist only
  downstream (e.g. the fresh ``ln2`` of a ViT with ``out_type='avg_featmap'``) are allowed to
  be missing with ``--allow-missing 'ln2.*'``.

Examples::

    python tools/model_converters/selfsup_to_backbone.py \\
        work_dirs/spark_resnet18_1xb16-600it_toyworld/iter_600.pth spark_r18_backbone.pth \\
        --check-config configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py
    # the momentum (target) encoder of an MCL run instead of the online one
    python tools/model_converters/selfsup_to_backbone.py mcl.pth out.pth \\
        --src-prefix target_net.module.0.

MCL transfers its FPN and box-head convolutions too: ``tools/model_converters/mcl_to_mmdet.py``
does that.
"""
import argparse
import fnmatch
import os.path as osp
import sys
from collections import OrderedDict
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor


class ConversionError(ValueError):
    """The checkpoint does not hold what the conversion needs."""


def unwrap_state_dict(checkpoint: dict) -> Dict[str, Tensor]:
    """Return the state dict of a runner checkpoint (``state_dict``), a ``model`` / ``module``
    wrapper, or a bare state dict."""
    for key in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    if checkpoint and all(isinstance(v, Tensor) for v in checkpoint.values()):
        return checkpoint
    raise ConversionError(
        'no state dict found: expected a "state_dict", "model" or "module" entry or a dict of '
        f'tensors, got the keys {sorted(checkpoint)[:10]}')


def convert_checkpoint(src: str, convert: Callable[[Dict[str, Tensor]], tuple]) -> Optional[tuple]:
    """Load ``src`` (mmvl's safe loader), unwrap its state dict and ``convert`` it.

    Shared by the self-supervised converters: a missing or untrusted file, or a
    :class:`ConversionError` raised by ``convert``, prints one ``error:`` line and gives None.
    """
    from mmvl.engine.runner.checkpoint import UntrustedCheckpointError, load_from_local
    try:
        return convert(unwrap_state_dict(load_from_local(src, map_location='cpu')))
    except (ConversionError, FileNotFoundError, UntrustedCheckpointError) as error:
        print(f'error: {error}', file=sys.stderr)
        return None


def extract_backbone(state_dict: Dict[str, Tensor], src_prefix: str = 'backbone.',
                     dst_prefix: str = '',
                     exclude: Sequence[str] = ()) -> Tuple[Dict[str, Tensor], Sequence[str]]:
    """Select the keys under ``src_prefix`` and re-prefix them with ``dst_prefix``.

    Args:
        state_dict (dict[str, Tensor]): The pre-training model's state dict.
        src_prefix (str): Prefix of the backbone's keys. Defaults to ``'backbone.'``.
        dst_prefix (str): Prefix of the output keys. Defaults to ``''``.
        exclude (Sequence[str]): fnmatch patterns of backbone keys (without ``src_prefix``) to
            drop as well; each dropped one is listed as ``<src_prefix><pattern>``. Defaults
            to ().

    Returns:
        tuple:
        - dict[str, Tensor]: The backbone's state dict.
        - list[str]: The top-level modules whose keys were dropped, sorted.
    """
    out = OrderedDict()
    dropped = set()
    for key, value in state_dict.items():
        if key.startswith(src_prefix):
            name = key[len(src_prefix):]
            matched = [p for p in exclude if fnmatch.fnmatchcase(name, p)]
            if matched:
                dropped.add(src_prefix + matched[0])
            else:
                out[dst_prefix + name] = value
        else:
            dropped.add(key.split('.', 1)[0])
    if not out:
        tops = sorted({k.split('.', 1)[0] + '.' for k in state_dict})
        raise ConversionError(
            f'no key starts with "{src_prefix}"; the checkpoint\'s top-level prefixes are '
            f'{tops}: pass one of them (or a longer prefix) as --src-prefix')
    return out, sorted(dropped)


def build_config_backbone(config: str) -> torch.nn.Module:
    """Build ``model.backbone`` of a config in the scope its model resolves in."""
    from mmvl.registry import MODELS
    from mmvl.utils import read_config, register_all_modules

    register_all_modules()
    cfg = read_config(config)
    model = cfg.get('model')
    if model is None or 'backbone' not in model:
        raise ConversionError(f'{config} has no model.backbone to check against')
    backbone = dict(model['backbone'])
    scope = backbone.pop('_scope_', None) or model.get('_scope_')
    if scope is None and '.' in str(model.get('type', '')):
        scope = model['type'].split('.', 1)[0]
    backbone.pop('init_cfg', None)  # the weights come from the converted file
    return MODELS.build(dict(backbone, _scope_=scope or cfg.get('default_scope', 'mmvl')))


def check_against(state_dict: Dict[str, Tensor], backbone: torch.nn.Module,
                  allow_missing: Sequence[str] = ()) -> None:
    """Load ``state_dict`` into ``backbone``; raise one error listing what differs.

    Args:
        state_dict (dict[str, Tensor]): The converted weights.
        backbone (nn.Module): The downstream backbone.
        allow_missing (Sequence[str]): fnmatch patterns of backbone keys that may be absent
            from ``state_dict`` (layers that only the downstream model has). Defaults to ().
    """
    expected = backbone.state_dict()
    missing = sorted(k for k in set(expected) - set(state_dict)
                     if not any(fnmatch.fnmatchcase(k, p) for p in allow_missing))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(k for k in set(expected) & set(state_dict)
                        if expected[k].shape != state_dict[k].shape)
    if missing or unexpected or mismatched:
        raise ConversionError(
            f'the converted weights do not fit the config\'s backbone: {len(missing)} missing '
            f'{missing[:5]}, {len(unexpected)} unexpected {unexpected[:5]}, {len(mismatched)} '
            f'with another shape {mismatched[:5]}')
    backbone.load_state_dict(state_dict, strict=not allow_missing)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='mmvl self-supervised checkpoint')
    parser.add_argument('dst', help='output backbone checkpoint')
    parser.add_argument('--src-prefix', default='backbone.',
                        help='prefix of the backbone keys in src (default: backbone.)')
    parser.add_argument('--dst-prefix', default='',
                        help='prefix of the output keys (default: none; backbone. for a '
                        'whole-model checkpoint)')
    parser.add_argument('--exclude', nargs='+', default=[],
                        help='fnmatch patterns of backbone keys (without the prefix) to drop, '
                        "e.g. 'tbms.*' (TBM's token boosting modules)")
    parser.add_argument('--check-config', default=None,
                        help='a downstream config whose model.backbone must load the result '
                        'strictly')
    parser.add_argument('--allow-missing', nargs='+', default=[],
                        help='with --check-config: fnmatch patterns of backbone keys that only '
                        'the downstream model has')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    def convert(state_dict):
        backbone, dropped = extract_backbone(state_dict, args.src_prefix, args.dst_prefix,
                                             args.exclude)
        if args.check_config:
            check_against({k[len(args.dst_prefix):]: v for k, v in backbone.items()},
                          build_config_backbone(args.check_config), args.allow_missing)
        return backbone, dropped

    result = convert_checkpoint(args.src, convert)
    if result is None:
        return 2
    backbone, dropped = result
    meta = dict(source=osp.abspath(args.src), src_prefix=args.src_prefix,
                dst_prefix=args.dst_prefix, dropped=dropped)
    torch.save(dict(state_dict=backbone, meta=meta), args.dst)
    print(f'{len(backbone)} backbone tensors written to {args.dst}; dropped {dropped}'
          + (f'; loads into the backbone of {args.check_config}'
             + (f' (allowed missing: {args.allow_missing})' if args.allow_missing else
                ' strictly') if args.check_config else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
