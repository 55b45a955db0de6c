# Copyright (c) mmvl contributors. All rights reserved.
"""Convert the SOHO authors' released checkpoints (github.com/researchmm/soho) to mmvl.

The authors' code (95824a8) saves mmcv-0.x runner checkpoints ``{'state_dict': ..., 'meta':
...}``. Two declared source formats (``--format``):

- ``pretrain``: ``soho_res18_fp16_40-9441cdd3.pth``, the pre-training model
  ``SOHOSingleStreamPre`` with neck ``SimpleVDforPreGate``. The result loads strictly into
  mmvl's ``SOHOPretrainer`` (``configs/soho/soho_r18-3l_8xb64-40e_coco-vg-caption.py``):

  ============================================  ==========================================
  authors                                       mmvl
  ============================================  ==========================================
  ``backbone.*`` (mmdet-1.x ResNet)             ``encoder.backbone.*`` (mmpretrain ResNet)
  ``neck.conv.{conv,bn}.*`` (1x1 conv + BN)     ``encoder.proj.{conv,bn}.*``
  ``neck.ln.*``                                 ``encoder.visual_ln.*``
  ``neck.vq.{embed,cluster_size,...}``          ``vd.*`` (:class:`VisualDictionary`)
  ``neck.pos_line.*`` (Linear after the VD)     ``vd_proj.*``
  ``neck.gate_fc.{conv,bn}.*``                  ``gate.{conv,bn}.*``
  ``neck.mask_emb.weight`` (1 x C)              ``mask_embed`` (C)
  ``language.bert.{embeddings,encoder}.*``      ``encoder.bert.{embeddings,encoder}.*``
  ``head.match_class.weight``                   ``itm_head.fc.weight``
  ``mask_l_fc.weight`` (tied word embeddings)   dropped (mmvl ties by reusing the matrix)
  ============================================  ==========================================

- ``vqa``: the authors' ``SOHOSingleStreamVQA`` (neck ``SimpleVDforVQA``, no dictionary):
  the same backbone / neck / language rules plus ``head.vqa.{0,3}.*`` -> ``head.mlp.{0,3}.*``
  (``VQAClassificationHead`` with SOHO's Linear-ReLU-Dropout-Linear layout); loads into
  ``GridVLVQA`` (``configs/soho/soho_r18-3l_caption-pre_8xb32-20e_vqav2.py``).

The visual and fusion-BERT key layouts are unchanged from mmpretrain's ``ResNet`` and
transformers' ``BertModel`` (checked by running the authors' code: both reproduce its
outputs), so only prefixes move. A key no rule maps is an error.

Example::

    python tools/model_converters/soho_to_mmvl.py --format pretrain \\
        soho_res18_fp16_40-9441cdd3.pth soho_r18-3l_pre_mmvl.pth
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

Format = Literal['pretrain', 'vqa']
COMMON: List[Tuple[str, str]] = [
    ('backbone.', 'encoder.backbone.'),
    ('neck.conv.', 'encoder.proj.'),
    ('neck.ln.', 'encoder.visual_ln.'),
    ('language.bert.embeddings.', 'encoder.bert.embeddings.'),
    ('language.bert.encoder.', 'encoder.bert.encoder.'),
]
# (authors' prefix, mmvl prefix), first match wins; None drops the key
PREFIX_RULES: Dict[str, List[Tuple[str, Optional[str]]]] = {
    'pretrain': COMMON + [
        ('neck.vq.', 'vd.'),
        ('neck.pos_line.', 'vd_proj.'),
        ('neck.gate_fc.', 'gate.'),
        ('neck.mask_emb.weight', 'mask_embed'),
        ('head.match_class.', 'itm_head.fc.'),
        ('mask_l_fc.weight', None),
    ],
    'vqa': COMMON + [('head.vqa.', 'head.mlp.')],
}


def convert(state_dict: Dict[str, Tensor], fmt: Format) -> 'OrderedDict[str, Tensor]':
    """Rename the authors' keys to mmvl's.

    Args:
        state_dict (dict[str, Tensor]): The authors' model state dict.
        fmt (str): 'pretrain' or 'vqa'.

    Returns:
        OrderedDict[str, Tensor]: mmvl keys in the source order.
    """
    if fmt not in PREFIX_RULES:
        raise ConversionError(f'format must be one of {sorted(PREFIX_RULES)}, got {fmt!r}')
    converted: 'OrderedDict[str, Tensor]' = OrderedDict()
    unmapped = []
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key  # a DDP save
        for old, new in PREFIX_RULES[fmt]:
            if key.startswith(old):
                if new is not None:
                    converted[new + key[len(old):]] = value
                break
        else:
            unmapped.append(key)
    if unmapped:
        raise ConversionError(f'{len(unmapped)} key(s) of the {fmt}-format SOHO checkpoint '
                              f'have no mmvl name: {unmapped[:10]}')
    if fmt == 'pretrain':
        if 'vd.embed' not in converted:
            raise ConversionError('no neck.vq.embed key: this is not a SOHO pre-training '
                                  'checkpoint (use --format vqa for a VQA model)')
        converted['mask_embed'] = converted['mask_embed'].reshape(-1)
    return converted


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help="the authors' .pth file")
    parser.add_argument('dst', help='the mmvl checkpoint to write')
    parser.add_argument('--format', choices=sorted(PREFIX_RULES), required=True,
                        help="'pretrain': soho_res18_fp16_40-*.pth; 'vqa': a SOHO VQA model")
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
    print(f'wrote {len(state_dict)} keys to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
