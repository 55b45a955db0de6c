# Copyright (c) mmvl contributors. All rights reserved.
"""LAVT-style referring image segmentation (RES).

"LAVT: Language-Aware Vision Transformer for Referring Image Segmentation", Yang et al.,
CVPR 2022 (arXiv 2112.02244). LAVT fuses the expression into the visual encoder itself
instead of after it: after every stage of a Swin Transformer,

1. a pixel-word attention module (PWAM, Sec. 3.2, :class:`PixelWordAttention`) gathers,
   for each pixel, the words it attends to and multiplies that language feature with the
   pixel's own feature, giving the multimodal map F_i;
2. a language pathway (Sec. 3.3, :class:`LanguageGate`) adds F_i, weighted by a learned
   tanh gate, to the stage's output, and the next stage reads the sum;
3. a light top-down decoder (:class:`LAVTDecoder`) turns the four F_i into a
   mask at stride 4.

:class:`LAVT` is LAVT-*style*, not a reproduction: it keeps the three mechanisms and
changes the parts around them so that the model trains on the 160-px toy world on a CPU.
The visual encoder is an mmdet / mmpretrain ResNet (from scratch in the toy config) whose
stages the model runs itself, the text encoder is mmvl's :class:`TextEncoder` (any BERT),
and the mask is one sigmoid channel trained with BCE + Dice instead of LAVT's two-class
cross-entropy. Each difference is a ``NOTE`` below and in ``configs/lavt/README.md``.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.structures import SampleList
from mmdet.structures.mask import mask2bbox
from mmengine.model import BaseModel, BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmvl.registry import MODELS


@MODELS.register_module()
class PixelWordAttention(BaseModule):
    """LAVT's pixel-word attention module (PWAM), Sec. 3.2.

    For a visual map V (B x C x H x W) and word features L (B x T x D):

    - ``G = W_w(softmax(W_q(V) W_k(L)^T / sqrt(C_k)) W_v(L))``: each pixel attends over the
      real words (padded words get zero weight). ``W_q`` is a 1x1 conv followed by instance
      norm, ``W_k`` and ``W_v`` are linear maps of the words, and ``W_w`` is a 1x1 conv
      followed by instance norm.
    - ``F = W_o(W_m(V) * G)``: the attended language feature gates a projection of the
      pixel's own feature, element-wise. ``W_m`` and ``W_o`` are 1x1 conv + ReLU.

    NOTE: this follows the paper's text (ReLU, one head, keys and values as wide as the
    visual map). Padded image pixels are not masked out, as in LAVT, which feeds fixed-size
    images.

    Args:
        visual_channels (int): C, the channels of the visual map (and of the output).
        text_channels (int): D, the width of the word features.
        channels (int, optional): Width of queries, keys and values. None uses
            ``visual_channels``, as LAVT does. Defaults to None.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 visual_channels: int,
                 text_channels: int,
                 channels: Optional[int] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        channels = visual_channels if channels is None else channels
        self.channels = channels
        self.query = nn.Sequential(
            nn.Conv2d(visual_channels, channels, 1), nn.InstanceNorm2d(channels))
        self.key = nn.Linear(text_channels, channels)
        self.value = nn.Linear(text_channels, channels)
        self.attended = nn.Sequential(
            nn.Conv2d(channels, visual_channels, 1), nn.InstanceNorm2d(visual_channels))
        self.visual = nn.Sequential(nn.Conv2d(visual_channels, visual_channels, 1), nn.ReLU())
        self.out = nn.Sequential(nn.Conv2d(visual_channels, visual_channels, 1), nn.ReLU())

    def forward(self, visual: Tensor, words: Tensor, word_mask: Tensor) -> Tensor:
        """The multimodal map F.

        Args:
            visual (Tensor): Visual features, shape (B, C, H, W).
            words (Tensor): Word features, shape (B, T, D).
            word_mask (Tensor): True (or 1) for real words, shape (B, T). Every row needs at
                least one real word.

        Returns:
            Tensor: F, shape (B, C, H, W).
        """
        b, _, h, w = visual.shape
        query = self.query(visual).flatten(2).transpose(1, 2)  # B x HW x C_k
        key, value = self.key(words), self.value(words)  # B x T x C_k
        logits = query @ key.transpose(1, 2) / self.channels**0.5  # B x HW x T
        padded = ~word_mask.bool()[:, None, :]
        logits = logits.masked_fill(padded, torch.finfo(logits.dtype).min)
        attended = (logits.softmax(-1) @ value).transpose(1, 2).reshape(b, -1, h, w)
        return self.out(self.visual(visual) * self.attended(attended))


@MODELS.register_module()
class LanguageGate(BaseModule):
    """LAVT's language pathway (Sec. 3.3): ``E = V + tanh-gate(F) * F``.

    The gate ``S = tanh(W_2 relu(W_1 F))`` (two 1x1 convs without bias, so a zero F gives a
    zero gate) decides per pixel and channel how much of the multimodal map F enters the
    visual stream V that the next encoder stage reads. It is initialised like LAVT's, with
    PyTorch's defaults: the gate does not start at zero, the formula is what holds.

    Args:
        channels (int): C, the channels of V and F.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self, channels: int,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.gate = nn.Sequential(
            nn.Conv2d(channels, channels, 1, bias=False), nn.ReLU(),
            nn.Conv2d(channels, channels, 1, bias=False), nn.Tanh())

    def forward(self, visual: Tensor, fused: Tensor) -> Tensor:
        """E = V + S * F, for V and F of shape (B, C, H, W)."""
        return visual + self.gate(fused) * fused


@MODELS.register_module()
class LAVTDecoder(BaseModule):
    """LAVT's top-down segmentation decoder, to one mask logit at the finest map's stride.

    From the coarsest multimodal map down: upsample (bilinear) to the next finer map's
    size, concatenate with it, two 3x3 conv-BN-ReLU; at the finest map, a 1x1 conv to one
    channel.

    Args:
        in_channels (Sequence[int]): Channels of the maps, finest first.
        channels (int): Width of the conv blocks. LAVT uses 256. Defaults to 256.
        norm_cfg (dict): Norm of the conv blocks. Defaults to ``dict(type='BN')``.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int = 256,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) < 2:
            raise ValueError(f'the decoder needs at least two maps, got {in_channels}')
        self.in_channels = tuple(in_channels)
        self.blocks = nn.ModuleList()
        above = in_channels[-1]
        for finer in reversed(in_channels[:-1]):
            self.blocks.append(nn.Sequential(
                ConvModule(above + finer, channels, 3, padding=1, norm_cfg=norm_cfg),
                ConvModule(channels, channels, 3, padding=1, norm_cfg=norm_cfg)))
            above = channels
        self.logit = nn.Conv2d(channels, 1, 1)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Mask logits, shape (B, 1, H_0, W_0), from maps ordered finest first."""
        x = feats[-1]
        for block, finer in zip(self.blocks, reversed(feats[:-1])):
            x = F.interpolate(x, size=finer.shape[-2:], mode='bilinear', align_corners=False)
            x = block(torch.cat([x, finer], dim=1))
        return self.logit(x)


@MODELS.register_module()
class LAVT(BaseModel):
    """LAVT-style RES: early fusion in every backbone stage, a top-down mask decoder.

    ::

        image -> stem -> stage 1 -> V_1 -PWAM(V_1, words)-> F_1 --------------> decoder
                                     V_1 + gate(F_1) * F_1 = E_1                    |
                         stage 2(E_1) -> V_2 -> F_2 --------------------------> decoder
                         ...                                                         |
                         stage 4(E_3) -> V_4 -> F_4 (no gate: nothing reads E_4) -> mask

    Each data sample's metainfo carries the expression as ``text`` (one str) and
    ``task='grounding'`` (optional here, but no other task is accepted); for training,
    ``gt_instances`` holds exactly the referred object, with ``masks`` (``BitmapMasks``,
    ``PolygonMasks`` or a tensor) at the size of the image after the pipeline. This is the
    grounding contract of :class:`UNINEXT`, so both train on the same data configs.

    NOTE: LAVT runs a Swin Transformer. The backbone here is any mmdet / mmpretrain ResNet
    (``ResNet``, ``ResNetV1d``, ``ResNeXt``, ...): the model runs its stem and stages itself
    and so relies on their layout: ``stem`` (``deep_stem=True``) or ``conv1`` / ``norm1`` /
    ``relu``, then ``maxpool``, then the stages named in ``res_layers``. Every stage is
    fused, so ``out_indices`` must name them all. The stage widths are read off one forward
    pass of a 64 x 64 image in eval mode when the model is built.

    Args:
        backbone (dict): Backbone config. Defaults to mmdet's ResNet-18 from scratch (no
            frozen stages, live BN statistics), ``out_indices=(0, 1, 2, 3)``.
        language_model (dict): Text encoder config (:class:`TextEncoder`); the words are its
            last-layer token features, the word mask its attention mask. Defaults to
            BERT-base with at most 20 tokens, LAVT's setting.
        fusion (dict): :class:`PixelWordAttention` config without the widths, which the model
            sets. Defaults to ``dict(type='PixelWordAttention')``.
        gate (dict): :class:`LanguageGate` config without the width. Defaults to
            ``dict(type='LanguageGate')``.
        decoder (dict): :class:`LAVTDecoder` config without ``in_channels``. Defaults to
            ``dict(type='LAVTDecoder', channels=256)``.
        loss_mask (dict): Per-pixel loss of the mask logit at the input size. Defaults to
            sigmoid BCE x1.0 (LAVT's two-class cross-entropy on one logit).
        loss_dice (dict): Dice loss per image. Defaults to x1.0 (LAVT has none).
        mask_thr (float): Foreground probability threshold at inference. Defaults to 0.5.
        data_preprocessor (dict, optional): Defaults to mmdet's ``DetDataPreprocessor``
            with ImageNet mean / std, BGR to RGB and padding to a multiple of 32.
        init_cfg (dict or list[dict], optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 backbone: dict = dict(
                     type='mmdet.ResNet', depth=18, out_indices=(0, 1, 2, 3),
                     frozen_stages=-1, norm_eval=False, init_cfg=None),
                 language_model: dict = dict(
                     type='TextEncoder', name='bert-base-uncased', max_tokens=20,
                     pad_to_max=False),
                 fusion: dict = dict(type='PixelWordAttention'),
                 gate: dict = dict(type='LanguageGate'),
                 decoder: dict = dict(type='LAVTDecoder', channels=256),
                 loss_mask: dict = dict(
                     type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 loss_dice: dict = dict(
                     type='mmdet.DiceLoss', use_sigmoid=True, activate=True, naive_dice=False,
                     loss_weight=1.0),
                 mask_thr: float = 0.5,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='mmdet.DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self._check_backbone()
        self.language_model = MODELS.build(language_model)
        stage_channels = self._stage_channels()
        text_channels = self.language_model.embed_dims
        self.fusions = nn.ModuleList(
            MODELS.build(self._derived(fusion, 'fusion', visual_channels=c,
                                       text_channels=text_channels))
            for c in stage_channels)
        self.gates = nn.ModuleList(
            MODELS.build(self._derived(gate, 'gate', channels=c))
            for c in stage_channels[:-1])
        self.decoder = MODELS.build(self._derived(decoder, 'decoder', in_channels=stage_channels))
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_dice = MODELS.build(loss_dice)
        self.mask_thr = mask_thr

    @staticmethod
    def _derived(cfg: dict, name: str, **values) -> dict:
        """A copy of ``cfg`` with the values the model owns; setting one is an error."""
        given = sorted(set(values) & set(cfg))
        if given:
            raise ValueError(f'LAVT sets {given} of {name} from the backbone and the text '
                             f'encoder; remove them from the {name} config')
        cfg = copy.deepcopy(cfg)
        cfg.update(values)
        return cfg

    def _check_backbone(self) -> None:
        names = getattr(self.backbone, 'res_layers', None)
        if names is None:
            raise TypeError(
                'LAVT runs the backbone stage by stage and knows the layout of mmdet / '
                'mmpretrain ResNets (stem, maxpool, `res_layers`); '
                f'{type(self.backbone).__name__} has no `res_layers`')
        out_indices = tuple(getattr(self.backbone, 'out_indices', ()))
        if sorted(out_indices) != list(range(len(names))):
            raise ValueError(f'LAVT fuses the text after every backbone stage: out_indices '
                             f'must be {tuple(range(len(names)))}, got {out_indices}')

    @torch.no_grad()
    def _stage_channels(self) -> List[int]:
        """Output channels of every backbone stage, from one 64 x 64 forward in eval mode."""
        training = self.backbone.training
        self.backbone.eval()
        x = self._stem(torch.zeros(1, 3, 64, 64))
        channels = []
        for stage in self._stages():
            x = stage(x)
            channels.append(x.size(1))
        self.backbone.train(training)
        return channels

    def _stem(self, x: Tensor) -> Tensor:
        backbone = self.backbone
        if getattr(backbone, 'deep_stem', False):
            x = backbone.stem(x)
        else:
            x = backbone.relu(backbone.norm1(backbone.conv1(x)))
        return backbone.maxpool(x)

    def _stages(self) -> List[nn.Module]:
        return [getattr(self.backbone, name) for name in self.backbone.res_layers]

    # ------------------------------------------------------------------ features
    @staticmethod
    def _expression_of(data_sample) -> str:
        task = data_sample.metainfo.get('task', 'grounding')
        text = data_sample.metainfo.get('text')
        if text is None:
            raise KeyError(
                "LAVT segments the object an expression refers to: every data sample's "
                "metainfo must carry 'text' (the expression). Add SampleExpression to the "
                "pipeline and 'text', 'task' to PackDetInputs' meta_keys.")
        if task != 'grounding' or not isinstance(text, str):
            raise ValueError("LAVT takes one referring expression per image (task='grounding', "
                             f'text a str), got task={task!r}, text={text!r}')
        return text

    def encode_text(self, data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """Word features (B, T, D) and word mask (B, T, bool) of the samples' expressions."""
        if data_samples is None:
            raise ValueError('LAVT needs data samples: their metainfo carries the expressions')
        text = self.language_model([self._expression_of(s) for s in data_samples])
        return text['embedded'], text['masks'].bool()

    def extract_feat(self, inputs: Tensor, data_samples: SampleList) -> List[Tensor]:
        """The multimodal maps F_i of every stage, finest first, each (B, C_i, H_i, W_i)."""
        words, word_mask = self.encode_text(data_samples)
        x = self._stem(inputs)
        feats = []
        for i, stage in enumerate(self._stages()):
            x = stage(x)
            fused = self.fusions[i](x, words, word_mask)
            feats.append(fused)
            if i < len(self.gates):
                x = self.gates[i](x, fused)
        return feats

    def _forward(self, inputs: Tensor, data_samples: SampleList) -> Tensor:
        """Mask logits at stride 4, shape (B, 1, H / 4, W / 4) for a ResNet."""
        return self.decoder(self.extract_feat(inputs, data_samples))

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[SampleList] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], SampleList, Tensor]:
        """``'loss'``: dict of losses; ``'predict'``: data samples with ``pred_instances``;
        ``'tensor'``: the mask logits at stride 4. ``inputs`` is (B, 3, H, W)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f"invalid mode {mode!r}: use 'loss', 'predict' or 'tensor'")

    # ------------------------------------------------------------------ training
    def _mask_targets(self, data_samples: SampleList,
                      shape: Tuple[int, int], device) -> Tuple[Tensor, Tensor]:
        """Each sample's gt mask zero-padded to ``shape``, and where the image is.

        Returns:
            tuple: target (B, H, W) float and valid (B, H, W) bool.
        """
        target = torch.zeros((len(data_samples), ) + tuple(shape), device=device)
        valid = torch.zeros_like(target, dtype=torch.bool)
        for i, sample in enumerate(data_samples):
            gt = sample.gt_instances
            if len(gt) != 1:
                raise ValueError(f'a referring sample has exactly one gt instance, got '
                                 f"{len(gt)} for {sample.metainfo.get('img_path', i)}")
            masks = gt.masks
            masks = (masks.to_tensor(torch.float32, device) if hasattr(masks, 'to_tensor') else
                     torch.as_tensor(masks, dtype=torch.float32, device=device))
            h, w = masks.shape[-2:]
            if h > shape[0] or w > shape[1]:
                raise ValueError(f'gt mask {(h, w)} is larger than the batch input {shape}')
            target[i, :h, :w] = masks.reshape(-1, h, w)[0]
            valid[i, :h, :w] = True
        return target, valid

    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """``loss_mask`` over the image's pixels and ``loss_dice`` per image, at input size.

        The logits are upsampled (bilinear) to the padded batch size; padding counts in
        neither loss (for Dice it is background with probability 0).
        """
        logits = F.interpolate(
            self._forward(inputs, data_samples), size=inputs.shape[-2:], mode='bilinear',
            align_corners=False)[:, 0]
        target, valid = self._mask_targets(data_samples, inputs.shape[-2:], logits.device)
        loss_mask = self.loss_mask(logits[valid], target[valid])
        outside = logits.masked_fill(~valid, torch.finfo(logits.dtype).min)
        loss_dice = self.loss_dice(outside.flatten(1), target.flatten(1))
        return dict(loss_mask=loss_mask, loss_dice=loss_dice)

    # ------------------------------------------------------------------ inference
    def predict(self, inputs: Tensor, data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """One mask per image, with its box and score.

        Each data sample gets ``pred_instances`` with one instance: ``masks`` (1, H, W)
        bool (the original image size with ``rescale``, else the resized image's), ``bboxes``
        (1, 4) the mask's tight xyxy box (zeros for an empty mask), ``scores`` (1,) the mean
        foreground probability inside the mask (0 for an empty one) and ``labels`` 0.
        """
        logits = self._forward(inputs, data_samples)
        probs = F.interpolate(
            logits, size=inputs.shape[-2:], mode='bilinear', align_corners=False).sigmoid()
        for prob, sample in zip(probs, data_samples):
            h, w = sample.metainfo.get('img_shape', inputs.shape[-2:])[:2]
            prob = prob[:, :h, :w]
            if rescale:
                prob = F.interpolate(
                    prob[None], size=sample.metainfo['ori_shape'][:2], mode='bilinear',
                    align_corners=False)[0]
            mask = prob > self.mask_thr
            area = mask.sum()
            score = (prob * mask).sum() / area.clamp(min=1)
            pred = InstanceData()
            pred.masks = mask
            pred.bboxes = mask2bbox(mask)
            pred.scores = score.reshape(1)
            pred.labels = torch.zeros(1, dtype=torch.long, device=mask.device)
            sample.pred_instances = pred
        return data_samples

