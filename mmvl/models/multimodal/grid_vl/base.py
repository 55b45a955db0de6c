# Copyright (c) mmvl contributors. All rights reserved.
"""The common base of the SOHO and Pixel-BERT models: a grid encoder and a two-optimizer step."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import Tensor

from mmvl.engine.optimizers.param_prefix_constructor import update_params_all
from mmvl.registry import MODELS


class GridVLBaseModel(BaseModel):
    """Builds :class:`GridVLEncoder` and trains with one optimizer or a dict of them.

    The papers train the CNN with SGD and the Transformer with AdamW; configs express that as
    an ``OptimWrapperDict`` (``ParamPrefixOptimWrapperDictConstructor``) and ``train_step``
    back-propagates once and steps every optimizer.

    Args:
        encoder (dict): Config of :class:`GridVLEncoder`.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``MultiModalDataPreprocessor`` with ImageNet mean and std.
        init_cfg (dict, optional): Weight init. Defaults to None.
    """

    def __init__(self, encoder: dict, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.MultiModalDataPreprocessor',
                                     mean=[123.675, 116.28, 103.53],
                                     std=[58.395, 57.12, 57.375], to_rgb=True)
        super().__init__(data_preprocessor=MODELS.build(data_preprocessor)
                         if isinstance(data_preprocessor, dict) else data_preprocessor,
                         init_cfg=init_cfg)
        self.encoder = MODELS.build(encoder)

    @property
    def hidden_size(self) -> int:
        """Width of the fused tokens."""
        return self.encoder.hidden_size

    def forward(self, images: Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """Route to :meth:`extract_feat`, :meth:`loss` or :meth:`predict`."""
        if mode == 'tensor':
            return self.extract_feat(images, data_samples)
        if mode == 'loss':
            return self.loss(images, data_samples)
        if mode == 'predict':
            return self.predict(images, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def extract_feat(self, images: Tensor, data_samples: Optional[list] = None):
        """Fused hidden states of each image with its sample's text (B x (L + N) x C)."""
        return self.encoder(images, [self.text_of(s) for s in data_samples], data_samples)

    @staticmethod
    def text_of(sample) -> str:
        """The sample's text: ``question`` (VQA) or ``text`` (captions, NLVR2).

        A caption group (``texts``) is taken only by the pre-training models' loss
        (``GridVLPretrainer.caption_pairs``); elsewhere it is an error.
        """
        if 'texts' in sample and 'question' not in sample and 'text' not in sample:
            raise ValueError('data sample holds a caption group `texts` (group_size); only the '
                             'pre-training loss (GridVLPretrainer) pairs an image with several '
                             'captions: use group_size=None here')
        for key in ('question', 'text'):
            if key in sample:
                value = sample.get(key)
                if isinstance(value, (list, tuple)):
                    raise ValueError(f'expected one string in data sample field {key!r}, got '
                                     f'{len(value)}; group captions one per sample')
                return value
        raise KeyError('data sample has neither `question` nor `text`')

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: Union[OptimWrapper, OptimWrapperDict]
                   ) -> Dict[str, torch.Tensor]:
        """Forward, one backward pass, and a step of every optimizer."""
        # OptimWrapperDict subclasses OptimWrapper but has no context of its own
        context_owner = (list(optim_wrapper.values())[0]
                         if isinstance(optim_wrapper, OptimWrapperDict) else optim_wrapper)
        with context_owner.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed_losses, log_vars = self.parse_losses(losses)
        update_params_all(optim_wrapper, parsed_losses)
        return log_vars

    def loss(self, images: Tensor, data_samples: List) -> dict:
        raise NotImplementedError

    def predict(self, images: Tensor, data_samples: List) -> List:
        raise NotImplementedError
