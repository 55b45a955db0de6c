# Copyright (c) mmvl contributors. All rights reserved.
"""Convert the CMAE authors' released checkpoints (github.com/ZhichengHuang/CMAE) to mmvl.

The authors' code (e786a52) is built on mmengine, so a released file is a runner checkpoint
``{'state_dict': ..., 'meta': ..., ...}``. Two declared source formats (``--format``):

- ``pretrain``: ``cmae_vit-base-p16_32xb128-coslr-{300,1600}e_in1k.pth``, the whole
  pre-training model ``CMAE`` (``cmae/models/algorithms/cmae.py``): ``backbone.*`` (online
  ``CMAEViT``), ``target_backbone.*`` (momentum encoder, no final norm), ``pixel_decoder.*``,
  ``feature_decoder.*`` (``MAEPretrainDecoder``), ``projector.*``, ``target_projector.*``
  (``NonLinearNeck``: ``fc0``, ``bn0``, ``fc1``) and ``head.predictor.*``. The result loads
  strictly into mmvl's ``CMAE`` (``configs/cmae/cmae_vit-base-p16_*``): the momentum copies
  move under ``target.module.{backbone,projector}.``, the predictor under
  ``contrastive_head.predictor.``, and ``target.steps`` (the EMA's update counter) is added
  as 0. Every other name is unchanged: the authors' ViT, decoder and neck use the key names of
  mmpretrain's ``VisionTransformer`` (``cls_token``, ``pos_embed``,
  ``patch_embed.projection``, ``layers.I.{ln1,attn.qkv,attn.proj,ln2,ffn.layers.0.0,
  ffn.layers.1}``, final ``ln1``), ``MAEPretrainDecoder`` and ``NonLinearNeck``.
- ``finetune``: ``cmae_base_pre{300,1600}_8x128_100e_in1k_amp_fine.pth``, the authors'
  ``Classification`` model (``MIMVisionTransformer`` + ``MAEFinetuneHead``). Its mean-pool
  norm ``backbone.fc_norm.*`` becomes mmpretrain's ``backbone.ln2.*``
  (``out_type='avg_featmap'``) and ``head.head.*`` becomes ``LinearClsHead``'s ``head.fc.*``;
  the result loads into ``configs/cmae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py``.

A key no rule maps is an error. The authors' weights expect BGR input (their loader reads
RGB and ``Normalize(to_rgb=True)`` swaps it); mmvl's CMAE configs feed BGR for that reason.
For the online encoder alone, run ``selfsup_to_backbone.py`` on the ``pretrain`` result.

Example::

    python tools/model_converters/cmae_to_mmvl.py --format pretrain \\
        cmae_vit-base-p16_32xb128-coslr-1600e_in1k.pth cmae_vit-b_1600e_mmvl.pth
"""
import argparse
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Literal, Optional, Sequence, Tuple

import torch
from torch import Tensor

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from selfsup_to_backbone import ConversionError, convert_checkpoint  # noqa: E402

sys.path.pop(0)

Format = Literal['pretrain', 'finetune']
# (authors' prefix, mmvl prefix), first match wins; longer prefixes first
PREFIX_RULES: Dict[str, List[Tuple[str, str]]] = {
    'pretrain': [
        ('target_backbone.', 'target.module.backbone.'),
        ('target_projector.', 'target.module.projector.'),
        ('head.predictor.', 'contrastive_head.predictor.'),
        ('backbone.', 'backbone.'),
        ('pixel_decoder.', 'pixel_decoder.'),
        ('feature_decoder.', 'feature_decoder.'),
        ('projector.', 'projector.'),
    ],
    'finetune': [
        ('backbone.fc_norm.', 'backbone.ln2.'),
        ('backbone.', 'backbone.'),
        ('head.head.', 'head.fc.'),
    ],
}


def convert(state_dict: Dict[str, Tensor], fmt: Format) -> 'OrderedDict[str, Tensor]':
    """Rename the authors' keys to mmvl's.

    Args:
        state_dict (dict[str, Tensor]): The authors' model state dict.
        fmt (str): 'pretrain' or 'finetune'.

    Returns:
        OrderedDict[str, Tensor]: mmvl keys in the source order (tensors are not copied);
        for 'pretrain' followed by ``target.steps``.
    """
    if fmt not in PREFIX_RULES:
        raise ConversionError(f"format must be one of {sorted(PREFIX_RULES)}, got {fmt!r}")
    converted: 'OrderedDict[str, Tensor]' = OrderedDict()
    unmapped = []
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key  # a DDP save
        for old, new in PREFIX_RULES[fmt]:
            if key.startswith(old):
                converted[new + key[len(old):]] = value
                break
        else:
            unmapped.append(key)
    if unmapped:
        raise ConversionError(f'{len(unmapped)} key(s) of the {fmt}-format CMAE checkpoint '
                              f'have no mmvl name: {unmapped[:10]}')
    if fmt == 'pretrain':
        if not any(k.startswith('target.module.') for k in converted):
            raise ConversionError('no target_backbone.* / target_projector.* key: this is not '
                                  'a CMAE pre-training checkpoint (use --format finetune for '
                                  'a classifier)')
        converted['target.steps'] = torch.tensor(0, dtype=torch.long)
    return converted


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help="the authors' .pth file")
    parser.add_argument('dst', help='the mmvl checkpoint to write')
    parser.add_argument('--format', choices=sorted(PREFIX_RULES), required=True,
                        help="'pretrain': cmae_vit-base-p16_32xb128-coslr-*e_in1k.pth; "
                        "'finetune': cmae_base_pre*_8x128_100e_in1k_amp_fine.pth")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    state_dict = convert_checkpoint(args.src, lambda sd: (convert(sd, args.format), ))
    if state_dict is None:
        return 2
    state_dict = state_dict[0]
    torch.save({'state_dict': state_dict,
                'meta': dict(converted_from=osp.abspath(args.src), format=args.format)},
               args.dst)
    print(f'{len(state_dict)} tensors written to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
