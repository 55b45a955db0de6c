"""GridVLPretrainer (SOHO / Pixel-BERT pre-training): the MLM masker built from the registry."""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmvl.models.multimodal import WholeWordMasker
from mmvl.registry import MODELS
from mmvl.testing.vl import tiny_grid_encoder

CAPTIONS = ['a red circle', 'a blue square left of a green star', 'two yellow triangles',
            'a small purple square']


def samples(size=(128, 128)):
    return [DataSample(text=c, image_id=i, metainfo=dict(img_shape=size))
            for i, c in enumerate(CAPTIONS)]


def build_pretrainer(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(type='SOHOPretrainer', encoder=tiny_grid_encoder(),
                             itm_head=dict(type='ITMHead'), num_tokens=16, **kwargs))


@pytest.fixture(scope='module')
def model():
    return build_pretrainer()


def test_mlm_masker_is_built_from_the_registry_with_the_encoders_tokenizer(model):
    assert MODELS.get('WholeWordMasker') is WholeWordMasker
    assert isinstance(model.mlm_masker, WholeWordMasker)
    assert model.mlm_masker.tokenizer is model.encoder.tokenizer
    assert model.mlm_masker.mask_prob == 0.15
    # the configs written before the masker was registered (no `type`) still build
    old_style = build_pretrainer(mlm_masker=dict(mask_prob=0.3))
    assert isinstance(old_style.mlm_masker, WholeWordMasker)
    assert old_style.mlm_masker.mask_prob == 0.3


def test_a_registered_masker_replaces_whole_word_masking():
    """The configured masker decides what MLM predicts: one masking every real token."""

    @MODELS.register_module(name='_MaskEveryTokenForTest', force=True)
    class MaskEveryToken:

        def __init__(self, tokenizer):
            self.tokenizer = tokenizer

        def __call__(self, input_ids, attention_mask=None, generator=None):
            real = attention_mask.bool() & (input_ids != self.tokenizer.cls_token_id) & (
                input_ids != self.tokenizer.sep_token_id)
            masked = input_ids.masked_fill(real, self.tokenizer.mask_token_id)
            return masked, torch.where(real, input_ids, torch.full_like(input_ids, -100))

    model = build_pretrainer(mlm_masker=dict(type='_MaskEveryTokenForTest'),
                             mvm_masker=dict(type='MVMMasker', mask_prob=0.0))
    seen = {}
    embed_text = model.encoder.embed_text
    model.encoder.embed_text = lambda ids: seen.setdefault('ids', ids) is not None and \
        embed_text(ids)
    model.train()
    losses = model.loss(torch.randn(4, 3, 128, 128), samples())
    ids = seen['ids']
    words = (ids != model.encoder.tokenizer.cls_token_id) & (
        ids != model.encoder.tokenizer.sep_token_id) & (ids != model.encoder.tokenizer.pad_token_id)
    assert (ids[words] == model.encoder.tokenizer.mask_token_id).all()
    assert losses['loss_mlm'] > 0
