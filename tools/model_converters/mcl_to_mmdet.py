# Copyright (c) mmvl contributors. All rights reserved.
"""Convert an MCL pre-training checkpoint to an mmdet Mask R-CNN checkpoint (backbone, FPN and
the 4 convs of the box head).

MCL ("Multi-Level Contrastive Learning for Dense Prediction Task", arXiv 2304.02010) transfers
more than the backbone: the authors' detectron2 converter
(github.com/GuoQiushan/MCL@1912aa9, ``benchmarks/detection/convert-sppretrain-to-detectron2.py``)
also moves the FPN's lateral and output convs and the region neck's four 3x3 convs into the
detector's ``FastRCNNConvFCHead`` (4conv1fc). mmdet's counterparts are ``FPN`` and
``Shared4Conv1FCBBoxHead``, which keep mmcv ``ConvModule`` names (``conv``, ``bn``), so the
conversion is a table of prefix renames. The source format is declared with ``--source``:

- ``official``: the authors' OpenSelfSup checkpoint, ``{'state_dict', 'meta', ...}`` with
  ``encoder_q.0.*`` (ResNet-50), ``encoder_q.1.*`` (FPN), ``encoder_q.2.*`` (the
  ``DetConvGpNonLinearHead``: ``cls_convs.{0..3}`` and ``mlp``), ``encoder_k.*`` (the momentum
  copy), ``head.predictor.{0..3}.mlp.*`` and ``backbone.*``, a second name of
  ``encoder_q.0`` (``MCL.backbone = encoder_q[0]``), checked equal and dropped. Their ResNet and
  FPN keys are mmpretrain's / mmdet's already.
- ``mmvl``: a checkpoint of ``mmvl.MCL`` (``backbone.*``, ``neck.0.*`` FPN, ``neck.1.*``
  ``MCLRegionNeck`` with ``convs.{0..3}`` and ``mlp``, ``head.predictors.*``,
  ``target_net.*``).

The online (query) encoder is transferred, as the authors do; the momentum encoder, the
region neck's MLP and the predictors are dropped; any key no rule knows is an error.

Examples::

    python tools/model_converters/mcl_to_mmdet.py mcl_r50_100e.pth mcl_r50_mmdet.pth \\
        --source official \\
        --check-config configs/mcl/benchmarks/mask-rcnn_r50_fpn_4conv1fc_ms-1x_coco.py
    python tools/model_converters/mcl_to_mmdet.py work_dirs/mcl/iter_600.pth out.pth \\
        --source mmvl

The output is ``{'state_dict', 'meta'}`` with tensors and plain values only; the detection
config loads it with ``init_cfg=dict(type='Pretrained', checkpoint=...)`` on the detector.
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from selfsup_to_backbone import ConversionError, convert_checkpoint  # noqa: E402

OFFICIAL = 'github.com/GuoQiushan/MCL@1912aa9'
SOURCES = ('official', 'mmvl')
BBOX_CONVS = 'roi_head.bbox_head.shared_convs.'
CONVERT, ALIAS, DROP = 'convert', 'alias', 'drop'

# (pattern of the whole source key, action, replacement of the matched prefix or the aliased
# key); the first matching row wins
RULES = {
    'official': [
        (r'encoder_q\.0\.(.+)', CONVERT, r'backbone.\1'),
        (r'encoder_q\.1\.((lateral|fpn)_convs\.\d+\.(conv|bn)\..+)', CONVERT, r'neck.\1'),
        (r'encoder_q\.2\.cls_convs\.(\d+\.(conv|bn)\..+)', CONVERT, BBOX_CONVS + r'\1'),
        (r'encoder_q\.2\.mlp\..+', DROP, 'region-neck MLP (pre-training only)'),
        (r'backbone\.(.+)', ALIAS, r'encoder_q.0.\1'),
        (r'encoder_k\..+', DROP, 'momentum encoder'),
        (r'head\.predictor\.\d+\..+', DROP, 'predictors'),
    ],
    'mmvl': [
        (r'backbone\.(.+)', CONVERT, r'backbone.\1'),
        (r'neck\.0\.((lateral|fpn)_convs\.\d+\.(conv|bn)\..+)', CONVERT, r'neck.\1'),
        (r'neck\.1\.convs\.(\d+\.(conv|bn)\..+)', CONVERT, BBOX_CONVS + r'\1'),
        (r'neck\.1\.mlp\..+', DROP, 'region-neck MLP (pre-training only)'),
        (r'target_net\..+', DROP, 'momentum encoder'),
        (r'head\.predictors\.\d+\..+', DROP, 'predictors'),
    ],
}


def convert(state_dict: Dict[str, Tensor],
            source: str) -> Tuple[Dict[str, Tensor], Dict[str, List[str]]]:
    """Rename an MCL state dict to mmdet Mask R-CNN keys.

    Args:
        state_dict (dict[str, Tensor]): The pre-training model's state dict.
        source (str): ``'official'`` or ``'mmvl'``.

    Returns:
        tuple:
        - dict[str, Tensor]: mmdet keys (``backbone.``, ``neck.``,
          ``roi_head.bbox_head.shared_convs.``).
        - dict[str, list[str]]: The dropped source keys, by reason.

    Raises:
        ConversionError: On an unknown key, an alias that differs from its original, or a
            checkpoint without FPN or box-head convs.
    """
    if source not in SOURCES:
        raise ConversionError(f'source must be one of {SOURCES}, got {source!r}')
    rules = [(re.compile(pattern), action, arg) for pattern, action, arg in RULES[source]]
    out, dropped, unknown = OrderedDict(), {}, []
    for key, value in state_dict.items():
        match, action, arg = next(((m, a, g) for p, a, g in rules for m in [p.fullmatch(key)]
                                   if m), (None, None, None))
        if match is None:
            unknown.append(key)
        elif action == CONVERT:
            out[match.expand(arg)] = value
        elif action == ALIAS:
            original = match.expand(arg)
            if original not in state_dict or not torch.equal(state_dict[original], value):
                raise ConversionError(f'{key} should repeat {original}, but that is missing or '
                                      'different')
            dropped.setdefault('second name of encoder_q.0 (MCL.backbone)', []).append(key)
        else:
            dropped.setdefault(arg, []).append(key)
    if unknown:
        raise ConversionError(f'{len(unknown)} key(s) of no known MCL module (is --source '
                              f'{source} right?): {unknown[:10]}')
    for part in ('backbone.', 'neck.', BBOX_CONVS):
        if not any(k.startswith(part) for k in out):
            raise ConversionError(f'nothing converted to {part}*: not an MCL checkpoint of the '
                                  f'{source} layout')
    return out, dropped


def check_against_detector(state_dict: Dict[str, Tensor], detector_state: Dict[str, Tensor],
                           prefixes: Sequence[str] = ('backbone.', 'neck.', BBOX_CONVS)) -> None:
    """Every detector key under ``prefixes`` must be converted with its shape, and nothing more.

    Args:
        state_dict (dict[str, Tensor]): The converted weights.
        detector_state (dict[str, Tensor]): The state dict of the downstream detector.
        prefixes (Sequence[str]): The transferred parts. Defaults to backbone, neck and the
            box head's shared convs.

    Raises:
        ConversionError: Listing missing, unexpected and mis-shaped keys.
    """
    expected = {k: v for k, v in detector_state.items() if k.startswith(tuple(prefixes))}
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(k for k in set(expected) & set(state_dict)
                        if expected[k].shape != state_dict[k].shape)
    if missing or unexpected or mismatched:
        raise ConversionError(
            f'the converted weights do not fit the detector: {len(missing)} missing '
            f'{missing[:5]}, {len(unexpected)} unexpected {unexpected[:5]}, {len(mismatched)} '
            f'with another shape {mismatched[:5]}')


def build_detector_state(config: str) -> Dict[str, Tensor]:
    """The state dict of the detector a config builds (no pre-trained weights loaded)."""
    from mmvl.registry import MODELS
    from mmvl.utils import read_config, register_all_modules
    register_all_modules()
    model = read_config(config).model
    model.pop('init_cfg', None)
    if isinstance(model.get('backbone'), dict):
        model.backbone.init_cfg = None
    return MODELS.build(model).state_dict()


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='MCL pre-training checkpoint')
    parser.add_argument('dst', help='output mmdet checkpoint')
    parser.add_argument('--source', required=True, choices=SOURCES,
                        help=f'layout of src: the authors\' OpenSelfSup ({OFFICIAL}) or mmvl')
    parser.add_argument('--check-config', default=None,
                        help='a detection config: the result must fill its backbone, neck and '
                        'box-head convs exactly, else nothing is written')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)

    def convert_and_check(state_dict):
        converted, dropped = convert(state_dict, args.source)
        if args.check_config:
            check_against_detector(converted, build_detector_state(args.check_config))
        return converted, dropped

    result = convert_checkpoint(args.src, convert_and_check)
    if result is None:
        return 2
    converted, dropped = result
    meta = dict(source=osp.abspath(args.src), layout=args.source,
                converter='tools/model_converters/mcl_to_mmdet.py',
                dropped={reason: len(keys) for reason, keys in dropped.items()})
    torch.save(dict(state_dict=converted, meta=meta), args.dst)
    parts = {p: sum(k.startswith(p) for k in converted)
             for p in ('backbone.', 'neck.', BBOX_CONVS)}
    print(f'{len(converted)} tensors written to {args.dst} ({parts}); dropped '
          f'{meta["dropped"]}' + (f'; fits {args.check_config}' if args.check_config else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
