# Copyright (c) mmvl contributors. All rights reserved.
"""Convert the authors' UNINEXT checkpoints (detectron2) to mmvl's ``UNINEXT``.

UNINEXT ("Universal Instance Perception as Object Discovery and Retrieval", Yan et al.,
CVPR 2023) releases detectron2 ``model_final.pth`` files, ``{'model': state_dict}``, for its
three stages (Objects365, image joint, video joint) and three backbones
(github.com/MasterBin-IIAU/UNINEXT, read at commit 5ab0386). Every official key goes through
one ordered rule table (the backbone's rules, then :data:`COMMON_RULES`; the first full match
wins) and ends in exactly one bucket:

- converted: renamed, sometimes transformed (detectron2 FrozenBN to BN, ConvNeXt's
  LayerNorms stored as ``nn.Embedding`` (1, C), the dynamic-mask controller, see below);
- skipped: tensors mmvl does not need (modules registered twice, the video model's re-ID
  head and template backbone, a resizer multiplied by 0, buffers);
- not converted: tensors mmvl's model cannot hold (today only the ViT-H backbone);
- and a key that no rule matches is an error, never dropped silently.

For ResNet-50 and ConvNeXt every tensor of the image model converts; the R50 result loads
strictly into the model of ``configs/_base_/models/uninext_r50.py``: no mmvl key is left
unfilled.

Things that do not map one to one:

- The official decoder layer runs self-attention -> ``norm2``, cross-attention -> ``norm1``,
  FFN -> ``norm3``; mmdet's layer has ``norms.0`` / ``.1`` / ``.2`` in that order of use.
- The dynamic-mask controller, ONE for all decoder layers in both codebases
  (``DynamicMaskHead(share_controller=True)``), emits the dynamic-conv parameters: the
  official first dynamic conv reads (reference - pixel) coordinates before the 8 mask
  features, mmvl's reads the features first and (pixel - reference) after, so the rows of
  the output layer that make the first conv's weights are reordered and the coordinate ones
  negated.
- The official pixel-embedding head ``MaskHeadSmallConv`` does not name its convs by level:
  ``lay3`` convolves the coarsest fused level (stride 32), ``lay4`` the next, and ``jia_dcn``
  (a plain 3x3 conv where a deformable one is commented out) the finest (stride 8); then
  ``lay1`` (3x3 256->64) and ``lay2`` (3x3 64->8). mmvl's ``MaskFeatureFusion(style=
  'uninext')`` indexes ``top_down_convs`` finest first (``jia_dcn`` -> 0, ``lay4`` -> 1,
  ``lay3`` -> 2) and holds ``lay1`` / ``lay2`` as ``out_convs.0`` / ``.2`` (a ReLU between).
- The official ``input_proj`` convs have biases: mmvl's ``ChannelMapper`` holds them only
  with ``bias=True`` (the paper config sets it; ``--check-config`` says so if a config
  does not).

Examples::

    python tools/model_converters/uninext_to_mmvl.py image_joint_r50.pth uninext_r50.pth
    python tools/model_converters/uninext_to_mmvl.py model_final.pth out.pth --backbone convnext-l
    python tools/model_converters/uninext_to_mmvl.py model_final.pth out.pth \\
        --check-config configs/_base_/models/uninext_r50.py

The output is ``{'state_dict': ..., 'meta': ...}`` with tensors and plain values only, so
mmvl's checkpoint loader reads it with torch's safe (``weights_only``) unpickler and
``tools/test.py`` takes it as it is: no signature is needed, and none is written (mmvl signs
the resume checkpoints of its own runs, which need the full unpickler).
"""
import argparse
import os
import os.path as osp
import re
import sys
import tempfile
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Union

import torch
from torch import Tensor

OFFICIAL = 'github.com/MasterBin-IIAU/UNINEXT@5ab0386'
BACKBONES = ('r50', 'convnext-l', 'vit-h')

# Module paths of the official image model (uninext_img.py): UNINEXT_IMG.detr is a
# DDETRSegmUniDN (controller, mask head, DN resizer), whose .detr is a DeformableDETRDINO
# (heads, input_proj, transformer); the detectron2 backbone is Joiner[0].backbone.
BACKBONE_PREFIX = 'detr.detr.backbone.0.backbone.'
SEG = r'detr\.'
DETR = r'detr\.detr\.'
BODY = re.escape(BACKBONE_PREFIX)
TRANS = DETR + r'transformer\.'
WB = r'(weight|bias)'
BN = r'(weight|bias|running_mean|running_var)'
MSDA = r'(sampling_offsets|attention_weights|value_proj|output_proj)'

# The dynamic mask head (ddetrs_dn.py): 8 mask-feature channels + 2 coordinates in, three 1x1
# convs of 8 channels, 1 out: (10 * 8 + 8 * 8 + 8 * 1) weights + (8 + 8 + 1) biases = 169.
DYNAMIC_CHANNELS = 8


class UnknownKeyError(KeyError):
    """An official key that no rule recognises."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


Target = Union[str, Callable[[re.Match], str]]


@dataclass(frozen=True)
class Rule:
    """One row of the rule table.

    Attributes:
        pattern (str): Regex that must match the whole official key.
        action (str): ``'convert'`` (to ``target``), ``'alias'`` (a second name of the tensor
            at ``target``, checked equal and not written), ``'skip'`` (mmvl does not need it)
            or ``'unsupported'`` (mmvl cannot hold it; reported as not converted).
        note (str): Which official module this is, and why it is skipped if it is.
        target (str or callable, optional): A ``re.Match.expand`` template, or a function of
            the match returning the key.
        transform (callable, optional): Applied to the tensor before it is stored.
    """
    pattern: str
    action: str
    note: str
    target: Optional[Target] = None
    transform: Optional[Callable[[Tensor], Tensor]] = None


def rename(pattern: str, target: Target, note: str, transform=None) -> Rule:
    return Rule(pattern, 'convert', note, target, transform)


def alias(pattern: str, original: str, note: str) -> Rule:
    return Rule(pattern, 'alias', note, original)


def skip(pattern: str, note: str) -> Rule:
    return Rule(pattern, 'skip', note)


def unsupported(pattern: str, note: str) -> Rule:
    return Rule(pattern, 'unsupported', note)


# ---------------------------------------------------------------------- tensor transforms
def embedding_row(tensor: Tensor) -> Tensor:
    """(1, C) -> (C,): the official ConvNeXt stores LayerNorm and layer-scale vectors as the
    weight of an ``nn.Embedding(1, C)`` (conversion/convert_convnext.py)."""
    if tensor.dim() != 2 or tensor.size(0) != 1:
        raise ValueError(f'expected a (1, C) embedding weight, got {tuple(tensor.shape)}')
    return tensor[0]


def dynamic_kernel_layout(channels: int = DYNAMIC_CHANNELS):
    """Official parameter index and sign of every mmvl dynamic-conv parameter.

    Both codebases split a query's parameters as [weights of conv 0, 1, 2, biases of conv 0,
    1, 2], conv 0's weight being (out, in) row-major. Only conv 0's input order differs:
    official (uninext ``dynamic_mask_with_coords``) ``[ref_x - x, ref_y - y, f_0 .. f_7]``,
    mmvl (:class:`DynamicMaskHead`) ``[f_0 .. f_7, x - ref_x, y - ref_y]``.

    Returns:
        tuple[Tensor, Tensor]: (P,) official indices and (P,) signs, P = 169 for 8 channels.
    """
    c_in = channels + 2
    num_params = c_in * channels + channels * channels + channels + 2 * channels + 1
    order, sign = list(range(num_params)), [1.0] * num_params
    for out_ch in range(channels):
        for mmvl_in in range(c_in):
            is_coord = mmvl_in >= channels
            official_in = mmvl_in - channels if is_coord else mmvl_in + 2
            order[out_ch * c_in + mmvl_in] = out_ch * c_in + official_in
            sign[out_ch * c_in + mmvl_in] = -1.0 if is_coord else 1.0
    return torch.tensor(order), torch.tensor(sign)


def controller_output_to_mmvl(tensor: Tensor) -> Tensor:
    """Reorder (and negate the coordinate rows of) the controller's output layer, (169, ...)."""
    order, sign = dynamic_kernel_layout()
    if tensor.size(0) != order.numel():
        raise ValueError(f'the mask controller emits {tensor.size(0)} parameters; this '
                         f'converter knows the official 8-channel, 3-layer head ({order.numel()})')
    return tensor[order] * sign.to(tensor.dtype).view(-1, *([1] * (tensor.dim() - 1)))


def _resnet_layer(template: str):
    """detectron2 names stages res2..res5, mmdet layer1..layer4: ``{layer}`` gets res - 1."""
    return lambda m: m.expand(template).replace('{layer}', str(int(m[1]) - 1))


# ---------------------------------------------------------------------- rule tables
R50_RULES = [  # detectron2 ResNet-50 (FrozenBN, STRIDE_IN_1X1 False) -> mmdet ResNet (pytorch)
    rename(BODY + r'stem\.conv1\.weight', 'backbone.conv1.weight', 'stem 7x7 conv'),
    rename(BODY + r'stem\.conv1\.norm\.' + BN, r'backbone.bn1.\1', 'stem FrozenBN'),
    rename(BODY + r'res([2-5])\.(\d+)\.conv([1-3])\.weight',
           _resnet_layer(r'backbone.layer{layer}.\2.conv\3.weight'), 'bottleneck convs'),
    rename(BODY + r'res([2-5])\.(\d+)\.conv([1-3])\.norm\.' + BN,
           _resnet_layer(r'backbone.layer{layer}.\2.bn\3.\4'), 'bottleneck FrozenBNs'),
    rename(BODY + r'res([2-5])\.0\.shortcut\.weight',
           _resnet_layer(r'backbone.layer{layer}.0.downsample.0.weight'), 'projection shortcut'),
    rename(BODY + r'res([2-5])\.0\.shortcut\.norm\.' + BN,
           _resnet_layer(r'backbone.layer{layer}.0.downsample.1.\2'), 'shortcut FrozenBN'),
]

CONVNEXT_RULES = [  # uninext/backbone/convnext.py (D2ConvNeXt) -> mmpretrain ConvNeXt
    rename(BODY + r'downsample_layers\.0\.0\.' + WB, r'backbone.downsample_layers.0.0.\1',
           'stem 4x4/4 conv'),
    rename(BODY + r'downsample_layers\.0\.1\.' + WB + r'\.weight',
           r'backbone.downsample_layers.0.1.\1', 'stem LayerNorm', embedding_row),
    rename(BODY + r'downsample_layers\.([1-3])\.0\.' + WB + r'\.weight',
           r'backbone.downsample_layers.\1.0.\2', 'downsampling LayerNorm', embedding_row),
    rename(BODY + r'downsample_layers\.([1-3])\.1\.' + WB, r'backbone.downsample_layers.\1.1.\2',
           'downsampling 2x2/2 conv'),
    rename(BODY + r'stages\.(\d)\.(\d+)\.dwconv\.' + WB,
           r'backbone.stages.\1.\2.depthwise_conv.\3', 'block depthwise 7x7 conv'),
    rename(BODY + r'stages\.(\d)\.(\d+)\.norm\.' + WB + r'\.weight',
           r'backbone.stages.\1.\2.norm.\3', 'block LayerNorm', embedding_row),
    rename(BODY + r'stages\.(\d)\.(\d+)\.pwconv([12])\.' + WB,
           r'backbone.stages.\1.\2.pointwise_conv\3.\4', 'block pointwise linears'),
    rename(BODY + r'stages\.(\d)\.(\d+)\.gamma\.weight', r'backbone.stages.\1.\2.gamma',
           'block layer scale', embedding_row),
    rename(BODY + r'norm([1-3])\.' + WB + r'\.weight', r'backbone.norm\1.\2',
           'output LayerNorms of res3..res5', embedding_row),
]

VIT_RULES = [  # uninext/backbone/vit.py (D2ViT, ViTDet-style)
    unsupported(BODY + r'.+', 'ViT-H backbone (windowed/global blocks with relative positions, '
                'MAE pos_embed with cls slot, fpn1 deconv / fpn3 max-pool pyramid): mmvl has no '
                'backbone with these modules; not converted'),
]

BACKBONE_RULES = {'r50': R50_RULES, 'convnext-l': CONVNEXT_RULES, 'vit-h': VIT_RULES}

COMMON_RULES = [
    # neck: DeformableDETRDINO.input_proj, conv + GroupNorm per level -> mmdet ChannelMapper
    rename(DETR + r'input_proj\.([0-2])\.0\.' + WB, r'neck.convs.\1.conv.\2',
           'input_proj 1x1 convs of res3..res5 (the bias needs neck.bias=True)'),
    rename(DETR + r'input_proj\.([0-2])\.1\.' + WB, r'neck.convs.\1.gn.\2',
           'input_proj GroupNorms'),
    rename(DETR + r'input_proj\.3\.0\.' + WB, r'neck.extra_convs.0.conv.\1',
           'extra level: 3x3/2 conv on res5 (the bias needs neck.bias=True)'),
    rename(DETR + r'input_proj\.3\.1\.' + WB, r'neck.extra_convs.0.gn.\1', 'extra level GroupNorm'),
    # transformer (deformable_transformer_dino.py: DeformableTransformerVLDINO)
    rename(TRANS + r'level_embed', 'level_embed', 'level embeddings'),
    rename(TRANS + r'tgt_embed\.weight', 'query_embedding.weight', 'learnable content queries'),
    rename(TRANS + r'enc_output\.' + WB, r'memory_trans_fc.\1', 'encoder-proposal projection'),
    rename(TRANS + r'enc_output_norm\.' + WB, r'memory_trans_norm.\1', 'its LayerNorm'),
    skip(TRANS + r'resizer\.(fc|layer_norm)\.' + WB,
         'transformer.resizer (prompt to query, 768->256): with DECOUPLE_TGT and '
         'STILL_TGT_FOR_BOTH it enters as tgt + 0.0 * ref_feat, so it has no effect'),
    rename(TRANS + r'encoder\.vl_layers\.0\.b_attn\.(.+)', r'fusion.\1',
           'VLFuse early fusion (BiAttentionBlock) before encoder layer 0'),
    # encoder layer: self-attention -> norm1 -> FFN -> norm2
    rename(TRANS + r'encoder\.layers\.(\d+)\.self_attn\.' + MSDA + r'\.' + WB,
           r'encoder.layers.\1.self_attn.\2.\3', 'encoder MSDeformAttn'),
    rename(TRANS + r'encoder\.layers\.(\d+)\.norm1\.' + WB, r'encoder.layers.\1.norms.0.\2',
           'encoder norm after self-attention'),
    rename(TRANS + r'encoder\.layers\.(\d+)\.linear1\.' + WB,
           r'encoder.layers.\1.ffn.layers.0.0.\2', 'encoder FFN in'),
    rename(TRANS + r'encoder\.layers\.(\d+)\.linear2\.' + WB, r'encoder.layers.\1.ffn.layers.1.\2',
           'encoder FFN out'),
    rename(TRANS + r'encoder\.layers\.(\d+)\.norm2\.' + WB, r'encoder.layers.\1.norms.1.\2',
           'encoder norm after FFN'),
    # decoder layer: self-attention -> norm2, cross-attention -> norm1, FFN -> norm3
    rename(TRANS + r'decoder\.layers\.(\d+)\.self_attn\.in_proj_(weight|bias)',
           r'decoder.layers.\1.self_attn.attn.in_proj_\2', 'decoder self-attention q/k/v'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.self_attn\.out_proj\.' + WB,
           r'decoder.layers.\1.self_attn.attn.out_proj.\2', 'decoder self-attention output'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.norm2\.' + WB, r'decoder.layers.\1.norms.0.\2',
           'decoder norm after SELF-attention (official norm2)'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.cross_attn\.' + MSDA + r'\.' + WB,
           r'decoder.layers.\1.cross_attn.\2.\3', 'decoder MSDeformAttn cross-attention'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.norm1\.' + WB, r'decoder.layers.\1.norms.1.\2',
           'decoder norm after CROSS-attention (official norm1)'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.linear1\.' + WB,
           r'decoder.layers.\1.ffn.layers.0.0.\2', 'decoder FFN in'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.linear2\.' + WB, r'decoder.layers.\1.ffn.layers.1.\2',
           'decoder FFN out'),
    rename(TRANS + r'decoder\.layers\.(\d+)\.norm3\.' + WB, r'decoder.layers.\1.norms.2.\2',
           'decoder norm after FFN (official norm3)'),
    rename(TRANS + r'decoder\.ref_point_head\.layers\.([01])\.' + WB,
           r'decoder.ref_point_head.layers.\1.\2', 'query position MLP'),
    alias(TRANS + r'decoder\.(class_embed|bbox_embed)\.(.+)', r'detr.detr.\1.\2',
          'decoder.class_embed / bbox_embed: the head lists registered a second time'),
    # heads (deformable_detr.py: DeformableDETRDINO), one per decoder layer + the encoder's
    rename(DETR + r'class_embed\.(\d+)\.dot_product_projection_text\.' + WB,
           r'bbox_head.cls_branches.\1.text_proj.\2', 'VL_Align text projection'),
    rename(DETR + r'class_embed\.(\d+)\.(log_scale|bias_lang|bias0)',
           r'bbox_head.cls_branches.\1.\2', 'VL_Align scale and biases'),
    rename(DETR + r'class_embed\.(\d+)\.body\.' + WB, r'bbox_head.cls_branches.\1.\2',
           'Still_Classifier: encoder-proposal objectness'),
    rename(DETR + r'bbox_embed\.(\d+)\.layers\.([0-2])\.' + WB,
           lambda m: f'bbox_head.reg_branches.{m[1]}.{2 * int(m[2])}.{m[3]}',
           'box MLPs (MLP layers.i is Sequential index 2i)'),
    rename(DETR + r'iou_head\.(\d+)\.' + WB, r'bbox_head.box_iou_branches.\1.\2', 'IoU branches'),
    # mask and denoising (ddetrs_dn.py: DDETRSegmUniDN)
    rename(SEG + r'controller\.layers\.([01])\.' + WB,
           r'bbox_head.mask_head.controllers.0.layers.\1.\2',
           'dynamic-mask controller, shared by all decoder layers'),
    rename(SEG + r'controller\.layers\.2\.' + WB, r'bbox_head.mask_head.controllers.0.layers.2.\1',
           'controller output: coordinate inputs of dynamic conv 0 reordered and negated',
           controller_output_to_mmvl),
    # MaskHeadSmallConv: relu(lay3(P5)); relu(lay4(P4 + up)); relu(jia_dcn(P3 + up)); relu(lay1);
    # relu(lay2), on the encoder memory of the 3 finest levels
    rename(SEG + r'mask_head\.jia_dcn\.' + WB,
           r'bbox_head.mask_head.feature_fusion.top_down_convs.0.\1',
           'MaskHeadSmallConv top-down conv of the finest level (stride 8)'),
    rename(SEG + r'mask_head\.lay4\.' + WB,
           r'bbox_head.mask_head.feature_fusion.top_down_convs.1.\1',
           'MaskHeadSmallConv top-down conv of stride 16'),
    rename(SEG + r'mask_head\.lay3\.' + WB,
           r'bbox_head.mask_head.feature_fusion.top_down_convs.2.\1',
           'MaskHeadSmallConv conv of the coarsest level (stride 32)'),
    rename(SEG + r'mask_head\.lay1\.' + WB, r'bbox_head.mask_head.feature_fusion.out_convs.0.\1',
           'MaskHeadSmallConv 3x3 256->64'),
    rename(SEG + r'mask_head\.lay2\.' + WB, r'bbox_head.mask_head.feature_fusion.out_convs.2.\1',
           'MaskHeadSmallConv 3x3 64->8: the pixel embedding'),
    rename(SEG + r'resizer\.fc\.' + WB, r'dn_query_generator.prompt_proj.0.\1',
           'DN content from the pooled prompt (FeatureResizer linear)'),
    rename(SEG + r'resizer\.layer_norm\.' + WB, r'dn_query_generator.prompt_proj.1.\1',
           'DN FeatureResizer LayerNorm'),
    skip(SEG + r'label_enc\.weight', "80-class DN label embedding (DYNAMIC_LABEL_ENC off); "
         "mmvl's DN content is the prompt"),
    # the video model (ddetrs_vid_dn.py, uninext_vid.py) on top of the image model
    skip(SEG + r'reid_embed_head\..+', 'video model: re-ID embedding head'),
    skip(SEG + r'adjust_layer\.' + WB, 'video model: SOT template projection 256->768'),
    skip(SEG + r'sot_fuser\..+', 'video model: SOT template feature fusion'),
    skip(DETR + r'ref_backbone\..+', 'video model: 4-channel template backbone'),
    # text encoder (bert_model.py: BertEncoder under text_encoder.body, or bare with PARALLEL_DET)
    skip(r'text_encoder\.(?:body\.)?model\.embeddings\.(position_ids|token_type_ids)',
         'constant index buffers of HF BERT (rebuilt by transformers)'),
    rename(r'text_encoder\.(?:body\.)?model\.(.+)',
           r'language_model.language_backbone.body.model.\1', 'BERT text encoder'),
    skip(r'criterion\._iter', 'iteration counter of the loss (BoxInst warm-up)'),
]

# mmvl keys that no official tensor fills, by pattern, with the reason: none for the ResNet-50
# and ConvNeXt image models (configs/_base_/models/uninext_r50.py builds the authors' modules).
MMVL_KEYS_WITHOUT_SOURCE = []
VIT_KEYS_WITHOUT_SOURCE = [(r'backbone\..+', 'the ViT-H backbone is not converted')]

# A config that departs from the authors' architecture leaves keys unfilled or unexpected, or
# gives them other shapes; these name the setting of configs/_base_/models/uninext_r50.py it
# lacks. A hint explains a gap, it does not excuse it: --check-config still writes nothing.
CONFIG_HINTS = [
    (r'neck\.(convs|extra_convs)\.\d+\.conv\.bias',
     'the official input_proj convs have a bias: set model.neck.bias=True'),
    (r'decoder\.norm\.(weight|bias)',
     'the official decoder has no output LayerNorm: set model.decoder_out_norm=False'),
    (r'bbox_head\.mask_head\.controllers\.[1-9]\d*\..+',
     'the official model has one controller for all decoder layers: set '
     'model.bbox_head.mask_head.share_controller=True'),
    (r'bbox_head\.mask_head\.feature_fusion\..+',
     "the official pixel embedding is MaskHeadSmallConv: set "
     "model.bbox_head.mask_head.fusion_style='uninext'"),
]


# ---------------------------------------------------------------------- conversion
@dataclass
class Conversion:
    """The converted state dict and where every official key went."""
    state_dict: 'OrderedDict[str, Tensor]'
    backbone: str
    num_decoder_layers: int
    converted: Dict[str, str] = field(default_factory=dict)  # official -> mmvl key
    skipped: Dict[str, str] = field(default_factory=dict)  # official -> note
    not_converted: Dict[str, str] = field(default_factory=dict)  # official -> reason
    synthesised: List[str] = field(default_factory=list)  # mmvl keys made up (BN counters)

    @property
    def keys_without_source(self):
        """(pattern, reason) of the mmvl keys this conversion leaves unfilled."""
        extra = VIT_KEYS_WITHOUT_SOURCE if self.backbone == 'vit-h' else []
        return MMVL_KEYS_WITHOUT_SOURCE + extra


def official_state_dict(checkpoint) -> 'OrderedDict[str, Tensor]':
    """The state dict of a detectron2 checkpoint (``{'model': ...}``) or a bare state dict."""
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get('model'), dict):
        checkpoint = checkpoint['model']
    if not isinstance(checkpoint, dict) or not checkpoint or not all(
            hasattr(v, 'shape') for v in checkpoint.values()):
        top = list(checkpoint)[:8] if isinstance(checkpoint, dict) else type(checkpoint)
        raise ValueError('not a UNINEXT checkpoint: expected {"model": state_dict} (detectron2) '
                         f'or a bare state dict of tensors; top level: {top}')
    state = OrderedDict((k, v if isinstance(v, Tensor) else torch.as_tensor(v))
                        for k, v in checkpoint.items())
    if all(k.startswith('module.') for k in state):  # saved from a DDP-wrapped model
        state = OrderedDict((k[len('module.'):], v) for k, v in state.items())
    return state


def detect_backbone(state: Dict[str, Tensor]) -> str:
    """``'r50'``, ``'convnext-l'`` or ``'vit-h'``, from the backbone's first layer."""
    first_layers = {'r50': 'stem.conv1.weight', 'convnext-l': 'downsample_layers.0.0.weight',
                    'vit-h': 'patch_embed.proj.weight'}
    found = [name for name, key in first_layers.items() if BACKBONE_PREFIX + key in state]
    if len(found) != 1:
        raise ValueError(f'cannot tell the backbone: expected exactly one of '
                         f'{[BACKBONE_PREFIX + k for k in first_layers.values()]}, found {found}')
    return found[0]


def count_decoder_layers(state: Dict[str, Tensor]) -> int:
    layers = {int(m[1]) for m in (re.match(TRANS + r'decoder\.layers\.(\d+)\.', k) for k in state)
              if m}
    if not layers or layers != set(range(len(layers))):
        raise ValueError(f'decoder layers {sorted(layers)}: expected 0..N-1')
    return len(layers)


def convert(official: Dict[str, Tensor], backbone: Optional[str] = None) -> Conversion:
    """Convert an official UNINEXT state dict to mmvl's key names.

    Args:
        official (dict): The official state dict (see :func:`official_state_dict`).
        backbone (str, optional): One of :data:`BACKBONES`. Defaults to None (detected).

    Returns:
        Conversion: The mmvl state dict and the fate of every official key.

    Raises:
        UnknownKeyError: Naming every official key that no rule recognises.
        ValueError: On an alias that differs from its original, or two keys mapping to one.
    """
    detected = detect_backbone(official)
    if backbone is not None and backbone != detected:
        raise ValueError(f'--backbone {backbone}, but the checkpoint holds a {detected} backbone')
    rules = [(re.compile(rule.pattern), rule) for rule in BACKBONE_RULES[detected] + COMMON_RULES]
    result = Conversion(OrderedDict(), detected, count_decoder_layers(official))
    unknown = []
    for key, value in official.items():
        match, rule = first_match(rules, key)
        if rule is None:
            unknown.append(key)
        elif rule.action == 'convert':
            target = rule.target(match) if callable(rule.target) else match.expand(rule.target)
            if target in result.state_dict:
                raise ValueError(f'{key} and another official key both map to {target}')
            # no copy: a ViT-H checkpoint is 2.5 GB
            result.state_dict[target] = rule.transform(value) if rule.transform else value
            result.converted[key] = target
        elif rule.action == 'alias':
            original = match.expand(rule.target)
            if original not in official or not torch.equal(official[original], value):
                raise ValueError(f'{key} should be the same tensor as {original} ({rule.note}), '
                                 'but it is missing or different')
            result.skipped[key] = f'alias of {original}'
        elif rule.action == 'skip':
            result.skipped[key] = rule.note
        else:
            result.not_converted[key] = rule.note
    if unknown:
        raise UnknownKeyError(f'{len(unknown)} official key(s) that no rule recognises (a model '
                              f'variant this converter does not know): {unknown[:20]}')
    result.synthesised = add_bn_counters(result.state_dict)
    return result


def first_match(rules, key: str):
    """The match and rule of the first rule whose pattern matches all of ``key``."""
    for pattern, rule in rules:
        match = pattern.fullmatch(key)
        if match:
            return match, rule
    return None, None


def add_bn_counters(state_dict: Dict[str, Tensor]) -> List[str]:
    """detectron2's FrozenBN has no ``num_batches_tracked``; give every BN a 0 counter."""
    added = []
    for key in [k for k in state_dict if k.endswith('.running_mean')]:
        counter = key[:-len('running_mean')] + 'num_batches_tracked'
        if counter not in state_dict:
            state_dict[counter] = torch.tensor(0, dtype=torch.long)
            added.append(counter)
    return added


def unfilled_keys(conversion: Conversion, model_keys) -> Dict[str, Optional[str]]:
    """mmvl keys the conversion does not fill, each with its known reason (None if unknown)."""
    reasons = {}
    for key in model_keys:
        if key not in conversion.state_dict:
            reasons[key] = next((why for pattern, why in conversion.keys_without_source
                                 if re.fullmatch(pattern, key)), None)
    return reasons


def check_against_model(conversion: Conversion, model_state: Dict[str, Tensor]) -> dict:
    """Compare the converted state dict with a built model's.

    Returns:
        dict: ``unfilled`` (model key -> known reason, None if unknown), ``unexpected``
        (converted keys the model lacks), ``shape_mismatch`` (list of ``(key, converted
        shape, model shape)``) and ``hints`` (any of those keys -> the config setting that
        would fit it, from :data:`CONFIG_HINTS`).
    """
    unexpected = [k for k in conversion.state_dict if k not in model_state]
    mismatch = [(k, tuple(v.shape), tuple(model_state[k].shape))
                for k, v in conversion.state_dict.items()
                if k in model_state and v.shape != model_state[k].shape]
    unfilled = unfilled_keys(conversion, model_state)
    hints = {}
    for key in [*unfilled, *unexpected, *(k for k, _, _ in mismatch)]:
        hint = next((h for pattern, h in CONFIG_HINTS if re.fullmatch(pattern, key)), None)
        if hint:
            hints[key] = hint
    return dict(unfilled=unfilled, unexpected=unexpected, shape_mismatch=mismatch, hints=hints)


def check_failed(check: dict) -> bool:
    """Whether the converted weights do not fit the model: any unexpected key, any shape
    mismatch, or a model key left unfilled for no known reason."""
    return bool(check['unexpected'] or check['shape_mismatch'] or
                None in check['unfilled'].values())


# ---------------------------------------------------------------------- command line
def summary(conversion: Conversion, official: Dict[str, Tensor]) -> str:
    c = conversion
    lines = [f'UNINEXT ({OFFICIAL}) -> mmvl: backbone {c.backbone}, '
             f'{c.num_decoder_layers} decoder layers',
             f'  converted    {len(c.converted):5d} official tensors -> '
             f'{len(c.state_dict) - len(c.synthesised)} mmvl tensors']
    if c.synthesised:
        lines.append(f'  synthesised  {len(c.synthesised):5d} BN num_batches_tracked = 0 '
                     '(detectron2 FrozenBN has none)')
    notes = Counter('alias of the head lists (decoder.class_embed / bbox_embed)'
                    if n.startswith('alias of') else n for n in c.skipped.values())
    lines.append(f'  skipped      {len(c.skipped):5d}')
    lines += [f'      {n:5d}  {note}' for note, n in sorted(notes.items())]
    if c.not_converted:
        lines.append(f'  NOT CONVERTED {len(c.not_converted):4d} (mmvl cannot hold them)')
    else:
        lines.append('  not converted     0')
    for note, n in sorted(Counter(c.not_converted.values()).items()):
        keys = [k for k, v in c.not_converted.items() if v == note]
        shown = ', '.join(f'{k} {tuple(official[k].shape)}' for k in keys[:6])
        lines.append(f'      {n:5d}  {note}\n             {shown}{" ..." if n > 6 else ""}')
    if c.keys_without_source:
        lines.append('  mmvl keys no official tensor fills (by pattern):')
        lines += [f'      {pattern}: {why}' for pattern, why in c.keys_without_source]
    else:
        lines.append('  mmvl keys no official tensor fills: none')
    return '\n'.join(lines)


def format_check(check: dict) -> str:
    lines = [f'checked against the built model: {len(check["unfilled"])} unfilled, '
             f'{len(check["unexpected"])} unexpected, {len(check["shape_mismatch"])} shape '
             'mismatches']
    hints = check['hints']

    def hint(key):
        return f' (hint: {hints[key]})' if key in hints else ''

    lines += [f'  unfilled   {k}: {why or "NO OFFICIAL SOURCE"}{hint(k)}'
              for k, why in check['unfilled'].items()]
    lines += [f'  unexpected {k}: NOT IN THE MODEL{hint(k)}' for k in check['unexpected']]
    lines += [f'  shape      {k}: converted {a}, model {b}{hint(k)}'
              for k, a, b in check['shape_mismatch']]
    return '\n'.join(lines)


def build_model_state(config: str, cfg_options=None) -> Dict[str, Tensor]:
    """State dict of the mmvl model a config builds (its backbone left uninitialised)."""
    from mmvl.registry import MODELS
    from mmvl.utils import register_all_modules
    from mmvl.utils.config import read_config
    register_all_modules()
    cfg = read_config(config, cfg_options).model
    if isinstance(cfg.get('backbone'), dict):
        cfg.backbone.init_cfg = None  # no download: only the keys and shapes are needed
    return MODELS.build(cfg).state_dict()


def save_checkpoint(conversion: Conversion, dst: str, src: str) -> None:
    """Write ``{'state_dict', 'meta'}`` atomically (a temporary file renamed over ``dst``)."""
    meta = dict(converted_from=osp.basename(src), official=OFFICIAL, backbone=conversion.backbone,
                converter='tools/model_converters/uninext_to_mmvl.py',
                not_converted=sorted(conversion.not_converted))
    out_dir = osp.dirname(osp.abspath(dst))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(dst)}.', suffix='.tmp', dir=out_dir)
    os.close(fd)
    try:
        torch.save(dict(state_dict=conversion.state_dict, meta=meta), tmp)
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description="Convert an official UNINEXT checkpoint (detectron2) to mmvl's UNINEXT keys.")
    parser.add_argument('src', help='official checkpoint (model_final.pth)')
    parser.add_argument('dst', help='output mmvl checkpoint')
    parser.add_argument('--backbone', choices=BACKBONES,
                        help="the checkpoint's backbone (default: detected; a mismatch is an "
                        'error)')
    parser.add_argument('--check-config', metavar='CONFIG',
                        help='build the mmvl model of this config and check the converted keys '
                        'and shapes against it; nothing is written on a shape mismatch, an '
                        'unexpected key or an unexplained gap')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for --check-config, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    # the project's loader: safe unpickler unless the file is trusted (MMVL_TRUSTED_CHECKPOINTS)
    from mmvl.engine.runner.checkpoint import UntrustedCheckpointError, load_from_local
    try:
        official = official_state_dict(load_from_local(args.src, map_location='cpu'))
        conversion = convert(official, args.backbone)
    except (UnknownKeyError, UntrustedCheckpointError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(summary(conversion, official))
    if args.check_config:
        check = check_against_model(conversion, build_model_state(args.check_config,
                                                                  args.cfg_options))
        print(format_check(check))
        if check_failed(check):
            print(f'not written: the converted weights do not fit {args.check_config}',
                  file=sys.stderr)
            return 1
    save_checkpoint(conversion, args.dst, args.src)
    print(f'saved {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
