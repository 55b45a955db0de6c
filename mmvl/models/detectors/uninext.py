# Copyright (c) mmvl contributors. All rights reserved.
"""UNINEXT, image level: "Universal Instance Perception as Object Discovery and Retrieval".

Yan et al., CVPR 2023 (arXiv 2303.06674). Every image-level task is "find the objects the
prompt names": category names for detection and instance segmentation, a language
expression for referring expression comprehension (REC) and segmentation (RES). The
model is DINO (mmdet's, with its two-stage proposals, mixed query selection and
look-forward-twice) plus what UNINEXT adds:

1. Prompt generation (Sec. 3.1): category names become one caption ``"a. b. "`` whose
   tokens map to the categories; an expression is encoded whole and, for retrieval,
   mean-pooled into one prompt vector. Both go through a BERT text encoder
   (:class:`TextEncoder`).
2. Early fusion (Sec. 3.2): one bi-directional image-text attention block (mmdet's
   ``SingleScaleBiAttentionBlock``, GLIP's) before the first encoder layer; the fused text
   features replace the BERT features downstream.
3. Object discovery (Sec. 3.3): the deformable transformer, with denoising queries whose
   content is the pooled prompt (:class:`PromptCdnQueryGenerator`).
4. Object retrieval (Sec. 3.3): :class:`UNINEXTHead` scores queries against prompt tokens
   (:class:`VLAlign`) and predicts boxes, IoUs and masks.

Reference-annotation prompts (SOT/VOS templates) belong to the video model: a subclass
overrides :meth:`encode_prompts` to return template features in the same form.
"""
import copy
from typing import Dict, List, Tuple

import torch
from mmdet.models.detectors import DINO
from mmdet.models.utils.vlfuse_helper import SingleScaleBiAttentionBlock
from mmdet.structures import OptSampleList, SampleList
from torch import Tensor, nn

from mmvl.registry import MODELS
from ..layers import PromptCdnQueryGenerator
from ..utils.text_prompts import (category_caption, entity_token_map, masked_mean,
                                  pooled_prompt_map)

TASKS = ('detection', 'grounding')


@MODELS.register_module()
class UNINEXT(DINO):
    """UNINEXT's image-level model: DINO with prompts, early fusion and retrieval.

    Each data sample carries its prompt in the metainfo: ``task='detection'`` with
    ``text`` a tuple of category names (``gt_instances.labels`` index it), or
    ``task='grounding'`` with ``text`` an expression and one ground-truth object.

    Args:
        language_model (dict): Text encoder config (:class:`TextEncoder`).
        fusion (dict): Arguments of the early-fusion block besides the widths. Defaults
            to UNINEXT's: inner width 2048, 8 heads, dropout 0.1, layer scale 1/6.
        mask_visual_padding (bool): Hide padded image positions from the text stream in
            the fusion block. The authors' code does not (its released weights were trained
            so); defaults to False.
        decoder_out_norm (bool): Keep the LayerNorm that mmdet's DINO decoder applies to its
            outputs. UNINEXT's decoder has none; defaults to False.
        dn_cfg (dict): Denoising config as in DINO; the label noise does not apply, and
            ``prompt_dropout`` (default 0.0, the authors') is the FeatureResizer's dropout.
        *args, **kwargs: Those of mmdet's ``DINO``; ``bbox_head.num_classes`` must be 1
            (the encoder's binary objectness; retrieval is against prompt tokens).
    """

    def __init__(self,
                 *args,
                 language_model: dict,
                 fusion: dict = dict(embed_dim=2048, num_heads=8, dropout=0.1,
                                     init_values=1.0 / 6.0),
                 mask_visual_padding: bool = False,
                 decoder_out_norm: bool = False,
                 dn_cfg: dict,
                 **kwargs) -> None:
        self.language_model_cfg = language_model
        self.fusion_cfg = fusion
        self.mask_visual_padding = mask_visual_padding
        self.decoder_out_norm = decoder_out_norm
        dn_cfg = copy.deepcopy(dn_cfg)
        prompt_dropout = dn_cfg.pop('prompt_dropout', 0.0)
        super().__init__(*args, dn_cfg=dn_cfg, **kwargs)
        if self.bbox_head.num_classes != 1:
            raise ValueError('UNINEXT retrieves objects by prompt: bbox_head.num_classes must '
                             f'be 1 (the encoder objectness), got {self.bbox_head.num_classes}')
        # DINO built a label-embedding generator: the prompt replaces the label embedding
        dn_cfg.pop('label_noise_scale', None)
        self.dn_query_generator = PromptCdnQueryGenerator(
            text_dims=self.language_model.embed_dims, dropout=prompt_dropout, **dn_cfg)

    def _init_layers(self) -> None:
        super()._init_layers()
        if not self.decoder_out_norm:
            self.decoder.norm = nn.Identity()
        self.language_model = MODELS.build(self.language_model_cfg)
        self.fusion = SingleScaleBiAttentionBlock(
            v_dim=self.embed_dims, l_dim=self.language_model.embed_dims, **self.fusion_cfg)

    # ------------------------------------------------------------------ prompts
    @staticmethod
    def _prompt_of(data_sample) -> Tuple[str, object]:
        task = data_sample.metainfo.get('task')
        text = data_sample.metainfo.get('text')
        if task not in TASKS or text is None:
            raise KeyError(
                "UNINEXT needs a prompt: every data sample's metainfo must carry 'task' "
                f"(one of {TASKS}) and 'text' (category names or an expression); got "
                f'task={task!r}, text={text!r}. Add CategoryPrompt or SampleExpression to '
                "the pipeline and 'text', 'task' to PackDetInputs' meta_keys.")
        if task == 'detection' and isinstance(text, str):
            raise TypeError(f'a detection prompt is a sequence of category names, got {text!r}')
        if task == 'grounding' and not isinstance(text, str):
            raise TypeError(f'a grounding prompt is one expression string, got {text!r}')
        return task, text

    def tokenize_prompts(self, batch_data_samples: SampleList) -> Tuple[object, List[Tensor]]:
        """Captions of the batch, tokenized, and each sample's entity-token map.

        Returns:
            tuple: the tokenized batch, and per sample a boolean (E, L) map: row e marks
            the tokens of category e (detection), or the single pooled slot (grounding).
        """
        captions, spans, tasks = [], [], []
        for sample in batch_data_samples:
            task, text = self._prompt_of(sample)
            if task == 'detection':
                caption, entity_spans = category_caption(text)
            else:
                caption, entity_spans = text, None
            captions.append(caption)
            spans.append(entity_spans)
            tasks.append(task)
        tokenized = self.language_model.tokenize(captions)
        num_tokens = tokenized['input_ids'].size(1)
        entity_maps = [
            entity_token_map(tokenized, entity_spans, num_tokens, batch_index=i)
            if task == 'detection' else pooled_prompt_map(num_tokens)
            for i, (task, entity_spans) in enumerate(zip(tasks, spans))
        ]
        return captions, entity_maps

    def encode_prompts(self, batch_data_samples: SampleList) -> Dict[str, object]:
        """Text features of every sample's prompt.

        Returns:
            dict: ``feats`` (B, L, D) last-layer token features, ``mask`` (B, L) 1 for real
            tokens, ``entity_maps`` (list of (E, L) bool) and ``tasks``.
        """
        captions, entity_maps = self.tokenize_prompts(batch_data_samples)
        text = self.language_model(captions)
        device = text['embedded'].device
        return dict(feats=text['embedded'], mask=text['masks'],
                    entity_maps=[m.to(device) for m in entity_maps],
                    tasks=[s.metainfo['task'] for s in batch_data_samples])

    # ------------------------------------------------------------------ training
    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """DINO's loss after dropping objects whose category name the caption cut off."""
        _, entity_maps = self.tokenize_prompts(batch_data_samples)
        batch_data_samples = [
            self._drop_unprompted(sample, token_map)
            for sample, token_map in zip(batch_data_samples, entity_maps)
        ]
        return super().loss(batch_inputs, batch_data_samples)

    @staticmethod
    def _drop_unprompted(data_sample, entity_map: Tensor):
        """``data_sample`` without objects whose entity has no token (a shallow copy)."""
        labels = data_sample.gt_instances.labels
        has_tokens = entity_map.to(labels.device).any(1)[labels]
        if bool(has_tokens.all()):
            return data_sample
        data_sample = data_sample.clone()
        data_sample.gt_instances = data_sample.gt_instances[has_tokens]
        return data_sample

    # ------------------------------------------------------------------ transformer
    def forward_transformer(self, img_feats: Tuple[Tensor],
                            batch_data_samples: OptSampleList = None) -> Dict:
        """Prompts, fused encoder, query selection and decoder; inputs of the head."""
        prompts = self.encode_prompts(batch_data_samples)
        encoder_inputs, decoder_inputs = self.pre_transformer(img_feats, batch_data_samples)
        encoder_outputs = self.forward_encoder(
            **encoder_inputs, text_feats=prompts['feats'], text_mask=prompts['mask'])
        tmp_dec_in, head_inputs = self.pre_decoder(
            **encoder_outputs, tasks=prompts['tasks'], batch_data_samples=batch_data_samples)
        decoder_inputs.update(tmp_dec_in)
        head_inputs.update(self.forward_decoder(**decoder_inputs))
        head_inputs['entity_maps'] = prompts['entity_maps']
        return head_inputs

    def forward_encoder(self, feat: Tensor, feat_mask: Tensor, feat_pos: Tensor,
                        spatial_shapes: Tensor, level_start_index: Tensor,
                        valid_ratios: Tensor, text_feats: Tensor, text_mask: Tensor) -> Dict:
        """Early fusion of the flattened image features with the text, then the encoder."""
        feat, text_feats = self.fusion(
            visual_feature=feat, lang_feature=text_feats,
            attention_mask_v=feat_mask if self.mask_visual_padding else None,
            attention_mask_l=text_mask.long())  # integer 0/1, as GLIP's block expects
        encoder_outputs = super().forward_encoder(
            feat=feat, feat_mask=feat_mask, feat_pos=feat_pos, spatial_shapes=spatial_shapes,
            level_start_index=level_start_index, valid_ratios=valid_ratios)
        encoder_outputs.update(memory_text=text_feats, text_mask=text_mask.bool())
        return encoder_outputs

    def pre_decoder(self, memory: Tensor, memory_mask: Tensor, spatial_shapes: Tensor,
                    memory_text: Tensor, text_mask: Tensor, tasks: List[str],
                    batch_data_samples: OptSampleList = None) -> Tuple[Dict, Dict]:
        """DINO's query selection and denoising queries, with the prompt as DN content.

        The head receives the encoder memory (for masks) and the retrieval prompts: the
        fused tokens of a caption, or one pooled vector in slot 0 for an expression.
        """
        pooled = masked_mean(memory_text, text_mask)
        if self.training:  # the denoising generator reads each image's pooled prompt
            batch_data_samples = [s.clone() for s in batch_data_samples]
            for sample, prompt in zip(batch_data_samples, pooled):
                sample.prompt_embedding = prompt
        decoder_inputs, head_inputs = super().pre_decoder(
            memory, memory_mask, spatial_shapes, batch_data_samples)
        retrieval_text, retrieval_mask = memory_text.clone(), text_mask.clone()
        for i, task in enumerate(tasks):
            if task == 'grounding':
                retrieval_text[i, 0] = pooled[i]
                retrieval_mask[i] = False
                retrieval_mask[i, 0] = True
        head_inputs.update(memory=memory, spatial_shapes=spatial_shapes,
                           memory_text=retrieval_text, text_mask=retrieval_mask)
        return decoder_inputs, head_inputs
