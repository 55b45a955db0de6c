# Copyright (c) mmvl contributors. All rights reserved.
"""The single-stream grid-feature vision-language encoder shared by SOHO and Pixel-BERT.

Pixel-BERT ("Pixel-BERT: Aligning Image Pixels with Text by Deep Multi-Modal Transformers",
Huang et al., arXiv 2004.00849, Sec. 3.2-3.3) and SOHO ("Seeing Out of tHe bOx: End-to-End
Pre-training for Vision-Language Representation Learning", Huang et al., CVPR 2021, Sec. 3.1;
github.com/researchmm/soho@95824a8, ``necks/necks.py`` and ``languages/bert.py``, read and
re-implemented) both feed the pixels of a whole image, not detector regions, into BERT::

    image -> CNN (C5, stride 32) -> 2x2 max-pool (stride 64) -> 1x1 conv + BN to the BERT width
          -> [model-specific step, e.g. SOHO's visual dictionary] -> visual embedding
             (SOHO: + 2D sine position, LayerNorm; Pixel-BERT: + visual type vector, LayerNorm)
    text  -> BERT embeddings (word + position + token type 0, LayerNorm)
    [text tokens, visual tokens] with the concatenated padding mask -> BERT encoder layers

Reused: an mmpretrain ResNet / ResNeXt as the CNN (SOHO's visual keys load into it unchanged)
and transformers' ``BertModel`` (SOHO's fusion-BERT keys load into it unchanged), loaded with
the first ``num_hidden_layers`` layers of a pre-trained BERT.
"""
import math
from typing import List, Literal, Optional, Sequence, Tuple, get_args

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn
from mmvl.models.multimodal.text_utils import build_text_encoder, build_tokenizer
from mmvl.registry import MODELS

VisualEmbed = Literal['sine', 'type']
VISUAL_EMBEDDINGS = get_args(VisualEmbed)


def sine_position_encoding(valid: Tensor, channels: int) -> Tensor:
    """DETR-style 2D sine position encoding over the valid (unpadded) part of a grid.

    Rows and columns are numbered by a cumulative sum over ``valid`` and normalised to
    ``(0, 2 pi]`` by the last valid index, as in SOHO's neck.

    Args:
        valid (Tensor): B x h x w, 1 (or True) at real pixels, 0 at padding.
        channels (int): Output width (half for y, half for x).

    Returns:
        Tensor: B x channels x h x w.
    """
    valid = valid.float()
    y_embed = valid.cumsum(1)
    x_embed = valid.cumsum(2)
    eps = 1e-6
    y_embed = y_embed / (y_embed[:, -1:, :] + eps) * 2 * math.pi
    x_embed = x_embed / (x_embed[:, :, -1:] + eps) * 2 * math.pi
    half = channels // 2
    dim_t = torch.arange(half, dtype=torch.float32, device=valid.device)
    dim_t = 10000 ** (2 * (dim_t // 2) / half)
    pos_x = x_embed[..., None] / dim_t
    pos_y = y_embed[..., None] / dim_t
    pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()), dim=4).flatten(3)
    pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()), dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


@MODELS.register_module()
class GridVLEncoder(BaseModule):
    """CNN grid features and BERT text fused by one BERT encoder (SOHO / Pixel-BERT).

    Args:
        backbone (dict): Config of the CNN, e.g. ``dict(type='mmpretrain.ResNet', depth=18,
            out_indices=(3, ), frozen_stages=1)``; its last output (C5) is used.
        in_channels (int): Channels of the CNN's last output (512 for ResNet-18, 2048 for
            ResNet-50/101 and ResNeXt).
        text_model (str): BERT weights and WordPiece vocabulary: a name for
            :func:`build_text_encoder` ('all-MiniLM-L6-v2', 'bert-base-uncased') or a folder.
        num_hidden_layers (int, optional): Keep only the first N BERT layers (SOHO's released
            model: 3). None keeps all. Defaults to None.
        text_pretrained (bool): Load the BERT weights; False builds BERT from its config with
            random weights. Defaults to True.
        visual_embed (str): 'sine' (SOHO: 2D sine position encoding, no type embedding) or
            'type' (Pixel-BERT: a learned visual type vector added to every pixel feature).
            Either is followed by LayerNorm. Defaults to 'sine'.
        max_text_len (int): Longest tokenized text, [CLS] and [SEP] included (SOHO: 16).
            Defaults to 16.
        norm_cfg (dict): Norm of the 1x1 projection (the authors use SyncBN; plain BN runs on
            CPU, and mmengine's ``sync_bn='torch'`` converts it for GPU runs).
            Defaults to ``dict(type='BN')``.
        pool_stride (int): The extra max-pool after C5 (2 gives the papers' stride 64).
            Defaults to 2.
        init_cfg (dict, optional): Weight init of the CNN and projection. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: int,
                 text_model: str = 'all-MiniLM-L6-v2',
                 num_hidden_layers: Optional[int] = None,
                 text_pretrained: bool = True,
                 visual_embed: VisualEmbed = 'sine',
                 max_text_len: int = 16,
                 norm_cfg: dict = dict(type='BN'),
                 pool_stride: int = 2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if visual_embed not in VISUAL_EMBEDDINGS:
            raise ValueError(f'visual_embed must be one of {VISUAL_EMBEDDINGS}, '
                             f'got {visual_embed!r}')
        self.backbone = MODELS.build(backbone)
        self.tokenizer = build_tokenizer(text_model)
        self.bert = build_text_encoder(text_model, num_hidden_layers, pretrained=text_pretrained)
        self.hidden_size = self.bert.config.hidden_size
        self.max_text_len = max_text_len
        self.pool_stride = pool_stride
        self.visual_embed = visual_embed
        self.proj = ConvModule(in_channels, self.hidden_size, 1, norm_cfg=norm_cfg, act_cfg=None)
        if visual_embed == 'type':
            self.type_embed = nn.Parameter(torch.zeros(self.hidden_size))
            nn.init.normal_(self.type_embed, std=0.02)
        self.visual_ln = nn.LayerNorm(self.hidden_size)

    # ----------------------------------------------------------------------------------------
    # text
    def tokenize(self, texts: Sequence[str], device=None) -> Tuple[Tensor, Tensor]:
        """WordPiece ids and attention mask, padded to ``max_text_len`` (B x L each)."""
        out = self.tokenizer(list(texts), padding='max_length', truncation=True,
                             max_length=self.max_text_len, return_tensors='pt')
        return out.input_ids.to(device), out.attention_mask.to(device)

    def embed_text(self, input_ids: Tensor) -> Tensor:
        """BERT input embeddings (word + position + token type 0, LayerNorm, dropout)."""
        return self.bert.embeddings(input_ids=input_ids)

    # ----------------------------------------------------------------------------------------
    # image
    def grid_features(self, images: Tensor, data_samples: Optional[list] = None
                      ) -> Tuple[Tensor, Tensor]:
        """CNN C5, the extra max-pool and the 1x1 projection, with the valid-pixel mask.

        The mask is built from each image's real height and width (``img_shape`` in its
        metainfo) inside the padded batch; SOHO's released code builds a square mask from the
        padded height only, which leaves padded columns of wide images visible.

        Args:
            images (Tensor): B x 3 x H x W, padded batch.
            data_samples (list, optional): Samples whose ``img_shape`` is the unpadded
                (h, w); a sample without it is an error. Without samples every pixel is
                valid.

        Returns:
            tuple:
            - feats (Tensor): B x C x h x w projected grid features (stride 32 * pool_stride).
            - valid (Tensor): B x h x w bool, True at grid cells covering the real image.
        """
        c5 = self.backbone(images)[-1]
        x = F.max_pool2d(c5, self.pool_stride, stride=self.pool_stride)
        feats = self.proj(x)
        valid = self.valid_mask(len(images), images.shape[-2:], feats.shape[-2:],
                                data_samples, feats.device)
        return feats, valid

    @staticmethod
    def valid_mask(batch: int, pad_hw: Sequence[int], grid_hw: Sequence[int],
                   data_samples: Optional[list], device) -> Tensor:
        """B x h x w, True at grid cells whose top-left input pixel is inside the image."""
        h, w = grid_hw
        stride_h, stride_w = pad_hw[0] / h, pad_hw[1] / w
        valid = torch.ones(batch, h, w, dtype=torch.bool, device=device)
        if data_samples is None:
            return valid
        for i, sample in enumerate(data_samples):
            if 'img_shape' not in sample.metainfo:
                # a padded batch would silently attend to its padding
                raise ValueError(
                    f'data_samples[{i}] has no img_shape, so its padding cannot be masked: '
                    "add 'img_shape' to PackInputs.meta_keys (or pass data_samples=None for "
                    'an unpadded batch)')
            img_h, img_w = sample.metainfo['img_shape'][:2]
            valid[i, math.ceil(img_h / stride_h):, :] = False
            valid[i, :, math.ceil(img_w / stride_w):] = False
        return valid

    def embed_visual(self, feats: Tensor, valid: Tensor) -> Tensor:
        """Add the position or type embedding, LayerNorm, flatten to B x (h*w) x C."""
        if self.visual_embed == 'sine':
            feats = feats + sine_position_encoding(valid, self.hidden_size)
            tokens = feats.flatten(2).transpose(1, 2)
        else:
            tokens = feats.flatten(2).transpose(1, 2) + self.type_embed
        return self.visual_ln(tokens)

    def visual_tokens(self, images: Tensor, data_samples: Optional[list] = None
                      ) -> Tuple[Tensor, Tensor]:
        """Visual tokens (B x N x C) and their mask (B x N, long) without any pre-training step."""
        feats, valid = self.grid_features(images, data_samples)
        return self.embed_visual(feats, valid), valid.flatten(1).long()

    # ----------------------------------------------------------------------------------------
    # fusion
    def fuse(self, text_embeds: Tensor, text_mask: Tensor, visual_tokens: Tensor,
             visual_mask: Tensor) -> Tensor:
        """Run the BERT encoder on ``[text, visual]``; returns B x (L + N) x C hidden states."""
        hidden = torch.cat([text_embeds, visual_tokens], dim=1)
        mask = torch.cat([text_mask, visual_mask.to(text_mask.dtype)], dim=1)
        extended = self.bert.get_extended_attention_mask(mask, mask.shape)
        return self.bert.encoder(hidden, attention_mask=extended).last_hidden_state

    def forward(self, images: Tensor, texts: Sequence[str],
                data_samples: Optional[List] = None) -> Tensor:
        """Fuse each image with its text (no pre-training step); B x (L + N) x C."""
        tokens, vmask = self.visual_tokens(images, data_samples)
        ids, tmask = self.tokenize(texts, images.device)
        return self.fuse(self.embed_text(ids), tmask, tokens, vmask)
