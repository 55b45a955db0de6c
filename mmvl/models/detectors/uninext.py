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

Reference-annotation prompts (SOT/VOS templates) belong to the video model: a subclass adds
its tasks to ``TASKS`` (and ``POOLED_TASKS``) and overrides :meth:`encode_prompts` to return
template features in the same form; a re-ID head reads the decoder's ``hidden_states``,
which :meth:`forward_transformer` returns with the other head inputs.
"""
import copy
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.detectors import DINO
from mmdet.models.utils.vlfuse_helper import SingleScaleBiAttentionBlock
from mmdet.structures import OptSampleList, SampleList
from torch import Tensor, nn

from mmvl.registry import MODELS
from ..layers import PromptCdnQueryGenerator
from ..utils.text_prompts import (category_caption, entity_token_map, masked_mean,
                                  pooled_prompt_map)

ENCODER_LOSS_ON = ('all', 'topk')


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
        detach_proposals (bool): Cut the gradient from the decoder into the selected encoder
            proposals, as mmdet's DINO does. The authors' code does not; defaults to False.
        encoder_loss_on (str): ``'all'`` encoder positions are matched and scored (the
            authors' code) or only the ``'topk'`` selected proposals (mmdet's DINO).
            Defaults to ``'all'``.
        dn_cfg (dict): Denoising config as in DINO; the label noise does not apply, and
            ``prompt_dropout`` (default 0.0, the authors') is the FeatureResizer's dropout.
        *args, **kwargs: Those of mmdet's ``DINO``; ``bbox_head.num_classes`` must be 1
            (the encoder's binary objectness; retrieval is against prompt tokens).
    """

    TASKS = ('detection', 'grounding')  # what a prompt can ask for
    POOLED_TASKS = ('grounding', )  # prompts retrieved by one pooled vector

    def __init__(self,
                 *args,
                 language_model: dict,
                 fusion: dict = dict(embed_dim=2048, num_heads=8, dropout=0.1,
                                     init_values=1.0 / 6.0),
                 mask_visual_padding: bool = False,
                 decoder_out_norm: bool = False,
                 detach_proposals: bool = False,
                 encoder_loss_on: str = 'all',
                 dn_cfg: dict,
                 **kwargs) -> None:
        self.language_model_cfg = language_model
        self.fusion_cfg = fusion
        self.mask_visual_padding = mask_visual_padding
        self.decoder_out_norm = decoder_out_norm
        if encoder_loss_on not in ENCODER_LOSS_ON:
            raise ValueError(f'encoder_loss_on must be one of {ENCODER_LOSS_ON}, '
                             f'got {encoder_loss_on!r}')
        self.detach_proposals = detach_proposals
        self.encoder_loss_on = encoder_loss_on
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
        head_text_dims = getattr(self.bbox_head, 'text_dims', None)
        if head_text_dims != self.language_model.embed_dims:
            raise ValueError(
                f'bbox_head.text_dims={head_text_dims} but the text encoder '
                f'{self.language_model.name!r} gives {self.language_model.embed_dims}-d '
                'tokens: set bbox_head.text_dims to match')

    def _init_layers(self) -> None:
        super()._init_layers()
        if not self.decoder_out_norm:
            self.decoder.norm = nn.Identity()
        self.language_model = MODELS.build(self.language_model_cfg)
        self.fusion = SingleScaleBiAttentionBlock(
            v_dim=self.embed_dims, l_dim=self.language_model.embed_dims, **self.fusion_cfg)

    # ------------------------------------------------------------------ prompts
    def _prompt_of(self, data_sample) -> Tuple[str, object]:
        task = data_sample.metainfo.get('task')
        text = data_sample.metainfo.get('text')
        if task not in self.TASKS or text is None:
            raise KeyError(
                "UNINEXT needs a prompt: every data sample's metainfo must carry 'task' "
                f"(one of {self.TASKS}) and 'text' (category names or an expression); got "
                f'task={task!r}, text={text!r}. Add CategoryPrompt or SampleExpression to '
                "the pipeline and 'text', 'task' to PackDetInputs' meta_keys.")
        if task == 'detection' and isinstance(text, str):
            raise TypeError(f'a detection prompt is a sequence of category names, got {text!r}')
        if task in self.POOLED_TASKS and not isinstance(text, str):
            raise TypeError(f'a {task} prompt is one expression string, got {text!r}')
        return task, text

    def tokenize_prompts(self, batch_data_samples: SampleList) -> Tuple[List[str], List[Tensor]]:
        """Captions of the batch and each sample's entity-token map.

        Returns:
            tuple: the captions, and per sample a boolean (E, L) map: row e marks the tokens
            of category e (detection), or the single pooled slot (an expression).
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
        """Features of every sample's prompt: the one method a new kind of prompt overrides.

        Returns:
            dict: ``feats`` (B, L, D) token features, ``mask`` (B, L) 1 for real tokens,
            ``entity_maps`` (list of (E, L) bool: which tokens retrieve entity e) and
            ``tasks`` (list of str; those in ``POOLED_TASKS`` are retrieved by one pooled
            vector).
        """
        captions, entity_maps = self.tokenize_prompts(batch_data_samples)
        text = self.language_model(captions)
        device = text['embedded'].device
        return dict(feats=text['embedded'], mask=text['masks'],
                    entity_maps=[m.to(device) for m in entity_maps],
                    tasks=[s.metainfo['task'] for s in batch_data_samples])

    # ------------------------------------------------------------------ training
    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses, without the objects whose category name the caption cut off."""
        prompts = self.encode_prompts(batch_data_samples)
        batch_data_samples = [
            self._drop_unprompted(sample, token_map)
            for sample, token_map in zip(batch_data_samples, prompts['entity_maps'])
        ]
        img_feats = self.extract_feat(batch_inputs)
        head_inputs = self.forward_transformer(img_feats, batch_data_samples, prompts)
        return self.bbox_head.loss(**head_inputs, batch_data_samples=batch_data_samples)

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
                            batch_data_samples: OptSampleList = None,
                            prompts: Optional[Dict] = None) -> Dict:
        """Prompts, fused encoder, query selection and decoder; inputs of the head."""
        if prompts is None:
            prompts = self.encode_prompts(batch_data_samples)
        encoder_inputs, decoder_inputs = self.pre_transformer(img_feats, batch_data_samples)
        encoder_outputs = self.forward_encoder(
            **encoder_inputs, text_feats=prompts['feats'], text_mask=prompts['mask'])
        # the denoising content: the prompt pooled BEFORE fusion (the authors' lang_feat_pool)
        dn_prompts = masked_mean(prompts['feats'], prompts['mask'])
        tmp_dec_in, head_inputs = self.pre_decoder(
            **encoder_outputs, tasks=prompts['tasks'], dn_prompts=dn_prompts,
            batch_data_samples=batch_data_samples)
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
                    dn_prompts: Tensor,
                    batch_data_samples: OptSampleList = None) -> Tuple[Dict, Dict]:
        """DINO's two-stage query selection, as the authors' transformer runs it.

        The top ``num_queries`` encoder proposals (by binary objectness) give the reference
        boxes; the content queries are learnt. Two switches choose between the authors' code
        and mmdet's DINO: ``detach_proposals`` (the authors keep the gradient from the
        decoder into the selected proposals) and ``encoder_loss_on`` (the authors match and
        score every encoder position, DINO only the selected ones). Denoising queries take
        ``dn_prompts`` (B, D) as content. The head also receives the encoder memory (for
        masks) and the retrieval prompts: the fused tokens of a caption, or one pooled vector
        in slot 0 for a task in ``POOLED_TASKS``.
        """
        bs = memory.size(0)
        output_memory, output_proposals = self.gen_encoder_output_proposals(
            memory, memory_mask, spatial_shapes)
        enc_class = self.bbox_head.cls_branches[self.decoder.num_layers](output_memory)
        enc_coord_unact = self.bbox_head.reg_branches[self.decoder.num_layers](
            output_memory) + output_proposals
        topk = torch.topk(enc_class.max(-1)[0], k=self.num_queries, dim=1)[1]
        topk_class = torch.gather(enc_class, 1, topk[..., None].expand(-1, -1, enc_class.size(-1)))
        topk_coords_unact = torch.gather(enc_coord_unact, 1, topk[..., None].expand(-1, -1, 4))
        topk_coords = topk_coords_unact.sigmoid()
        if self.detach_proposals:
            topk_coords_unact = topk_coords_unact.detach()

        query = self.query_embedding.weight[None].expand(bs, -1, -1)
        dn_mask, dn_meta = None, None
        reference_points = topk_coords_unact
        if self.training:  # the denoising generator reads each image's pooled prompt
            batch_data_samples = [s.clone() for s in batch_data_samples]
            for sample, prompt in zip(batch_data_samples, dn_prompts):
                sample.prompt_embedding = prompt
            dn_query, dn_bbox_query, dn_mask, dn_meta = self.dn_query_generator(
                batch_data_samples)
            query = torch.cat([dn_query, query], dim=1)
            reference_points = torch.cat([dn_bbox_query, topk_coords_unact], dim=1)
        decoder_inputs = dict(query=query, memory=memory,
                              reference_points=reference_points.sigmoid(), dn_mask=dn_mask)

        head_inputs = dict()
        if self.training:
            if self.encoder_loss_on == 'all':
                head_inputs.update(enc_outputs_class=enc_class,
                                   enc_outputs_coord=enc_coord_unact.sigmoid())
            else:
                head_inputs.update(enc_outputs_class=topk_class, enc_outputs_coord=topk_coords)
            head_inputs['dn_meta'] = dn_meta
        pooled = masked_mean(memory_text, text_mask)
        retrieval_text, retrieval_mask = memory_text.clone(), text_mask.clone()
        for i, task in enumerate(tasks):
            if task in self.POOLED_TASKS:
                retrieval_text[i, 0] = pooled[i]
                retrieval_mask[i] = False
                retrieval_mask[i, 0] = True
        head_inputs.update(memory=memory, spatial_shapes=spatial_shapes,
                           memory_text=retrieval_text, text_mask=retrieval_mask)
        return decoder_inputs, head_inputs
