# Copyright (c) mmvl contributors. All rights reserved.
"""Convert the SparK authors' released checkpoints (github.com/keyu-tian/SparK) to mmvl.

Two declared source formats (``--format``), two encoder families (``--arch``):

- ``spark``: ``*_withdecoder_1kpretrained_spark_style.pth``, ``{'module': state_dict}`` of the
  whole pre-training model: ``sparse_encoder.sp_cnn.*`` (the encoder), ``densify_norms.*``,
  ``densify_projs.*``, ``mask_tokens.*``, ``dense_decoder.dec.{i}.*``, ``dense_decoder.proj.*``
  and the unused buffers ``imn_m``, ``imn_s``, ``norm_black`` (dropped, as a stored
  ``config`` entry). The result loads into mmvl's ``SparK`` (``configs/spark/``) with
  ``strict=True``.
- ``timm``: ``*_1kpretrained_timm_style.pth``, the encoder's state dict without prefix. The
  result carries ``backbone.*`` keys, so fine-tuning configs load it with
  ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.

Encoder keys: timm's ResNet names equal mmpretrain's ResNet names (``conv1``, ``bn1``,
``layerI.J.{conv,bn}K``, ``layerI.J.downsample.{0,1}``); the authors' ConvNeXt renames
``dwconv``/``pwconv1``/``pwconv2`` to mmpretrain's ``depthwise_conv``/``pointwise_conv1``/
``pointwise_conv2``. The authors' ConvNeXt has no per-output norms (mmpretrain's ``normI``): the
pre-training configs remove them, and a fine-tuned model initialises its final norm afresh, as
the authors' fine-tuning does. Decoder keys map to mmpretrain's ``SparKLightDecoder``: ``dec.I``
-> ``decoder.I``, ``up_sample`` -> ``upsample``, ``conv.{0,1,3,4}`` ->
``conv_blocks.0.{conv1,norm1,conv2,norm2}``. A key no rule maps is an error.

Example::

    python tools/model_converters/spark_to_mmvl.py --format spark --arch resnet \\
        res50_withdecoder_1kpretrained_spark_style.pth spark_r50_mmvl.pth
"""
import argparse
import re
from collections import OrderedDict
from typing import Dict, List, Literal, Tuple

import torch

Format = Literal['spark', 'timm']
Arch = Literal['resnet', 'convnext']

ENCODER_PREFIX = 'sparse_encoder.sp_cnn.'
# (pattern over the authors' encoder key, replacement inside the mmvl backbone)
ENCODER_RULES: Dict[str, List[Tuple[str, str]]] = {
    'resnet': [
        (r'(conv1|bn1)\.(\w+)', r'\1.\2'),
        (r'(layer\d+\.\d+)\.(conv[1-3]|bn[1-3]|downsample\.[01])\.(\w+)', r'\1.\2.\3'),
    ],
    'convnext': [
        (r'downsample_layers\.(\d+)\.([01])\.(weight|bias)', r'downsample_layers.\1.\2.\3'),
        (r'stages\.(\d+)\.(\d+)\.dwconv\.(weight|bias)', r'stages.\1.\2.depthwise_conv.\3'),
        (r'stages\.(\d+)\.(\d+)\.norm\.(weight|bias)', r'stages.\1.\2.norm.\3'),
        (r'stages\.(\d+)\.(\d+)\.pwconv([12])\.(weight|bias)',
         r'stages.\1.\2.pointwise_conv\3.\4'),
        (r'stages\.(\d+)\.(\d+)\.gamma', r'stages.\1.\2.gamma'),
    ],
}
# (pattern over the authors' key, mmvl SparK key) for everything outside the encoder
SPARK_RULES: List[Tuple[str, str]] = [
    (r'densify_norms\.(\d+)\.(\w+)', r'densify_norms.\1.\2'),
    (r'densify_projs\.(\d+)\.(weight|bias)', r'densify_projs.\1.\2'),
    (r'mask_tokens\.(\d+)', r'mask_tokens.\1'),
    (r'dense_decoder\.dec\.(\d+)\.up_sample\.(weight|bias)', r'neck.decoder.\1.upsample.\2'),
    (r'dense_decoder\.dec\.(\d+)\.conv\.0\.weight', r'neck.decoder.\1.conv_blocks.0.conv1.weight'),
    (r'dense_decoder\.dec\.(\d+)\.conv\.1\.(\w+)', r'neck.decoder.\1.conv_blocks.0.norm1.\2'),
    (r'dense_decoder\.dec\.(\d+)\.conv\.3\.weight', r'neck.decoder.\1.conv_blocks.0.conv2.weight'),
    (r'dense_decoder\.dec\.(\d+)\.conv\.4\.(\w+)', r'neck.decoder.\1.conv_blocks.0.norm2.\2'),
    (r'dense_decoder\.proj\.(weight|bias)', r'neck.proj.\1'),
]
DROPPED = ('imn_m', 'imn_s', 'norm_black', 'config')


def _rename(key: str, rules: List[Tuple[str, str]]) -> str:
    """The first rule that matches the whole key, applied; '' when none does."""
    for pattern, replacement in rules:
        if re.fullmatch(pattern, key):
            return re.sub(pattern, replacement, key)
    return ''


def convert(state_dict: Dict[str, torch.Tensor], arch: Arch,
            fmt: Format) -> 'OrderedDict[str, torch.Tensor]':
    """Rename the authors' keys to mmvl's.

    Args:
        state_dict (dict[str, Tensor]): The authors' state dict (for 'spark', the 'module'
            entry of the file).
        arch (str): 'resnet' or 'convnext'.
        fmt (str): 'spark' (whole pre-training model) or 'timm' (encoder only).

    Returns:
        OrderedDict[str, Tensor]: mmvl keys, in the source order; tensors are not copied.
    """
    if arch not in ENCODER_RULES:
        raise ValueError(f'arch must be one of {sorted(ENCODER_RULES)}, got {arch!r}')
    if fmt not in ('spark', 'timm'):
        raise ValueError(f"format must be 'spark' or 'timm', got {fmt!r}")
    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    unmapped = []
    for key, value in state_dict.items():
        if fmt == 'spark' and key in DROPPED:
            continue
        if fmt == 'timm' or key.startswith(ENCODER_PREFIX):
            inner = key[len(ENCODER_PREFIX):] if fmt == 'spark' else key
            new = _rename(inner, ENCODER_RULES[arch])
            new = f'backbone.{new}' if new else ''
        else:
            new = _rename(key, SPARK_RULES)
        if not new:
            unmapped.append(key)
            continue
        converted[new] = value
    if unmapped:
        raise KeyError(f'{len(unmapped)} key(s) of the {fmt}-format {arch} checkpoint have no '
                       f'mmvl name: {unmapped[:10]}')
    return converted


def load_source(path: str, fmt: Format, trust: bool) -> Dict[str, torch.Tensor]:
    """Read the authors' file; only tensors and plain values unless ``trust``."""
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=not trust)
    except Exception as error:  # pickle.UnpicklingError and friends
        raise RuntimeError(f'{path}: cannot be read with weights_only=True ({error}); if you '
                           'trust the file, pass --trust') from error
    if fmt == 'spark':
        if 'module' not in checkpoint:
            raise KeyError(f"{path}: a spark-format checkpoint holds 'module', found "
                           f'{sorted(checkpoint)[:10]}')
        return checkpoint['module']
    return checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help="the authors' .pth file")
    parser.add_argument('dst', help='the mmvl checkpoint to write')
    parser.add_argument('--format', choices=['spark', 'timm'], required=True,
                        help="'spark': *_withdecoder_1kpretrained_spark_style.pth; "
                        "'timm': *_1kpretrained_timm_style.pth")
    parser.add_argument('--arch', choices=sorted(ENCODER_RULES), required=True)
    parser.add_argument('--trust', action='store_true',
                        help='unpickle arbitrary objects (runs code from the file)')
    args = parser.parse_args()
    state_dict = convert(load_source(args.src, args.format, args.trust), args.arch, args.format)
    torch.save({'state_dict': state_dict,
                'meta': dict(converted_from=args.src, format=args.format, arch=args.arch)},
               args.dst)
    print(f'{len(state_dict)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
