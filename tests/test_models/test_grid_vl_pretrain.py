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


@pytest.mark.parametrize('pretrainer', ['SOHOPretrainer', 'PixelBERTPretrainer'])
def test_caption_groups_equal_the_expanded_batch_with_one_cnn_pass_per_image(pretrainer):
    """SOHO's k captions per image: same losses as the batch with each image repeated for each
    of its captions (same random draws), but the CNN sees each image once."""
    torch.manual_seed(0)
    extra = (dict(num_tokens=16, mvm_masker=dict(type='MVMMasker', mask_prob=1.0))
             if pretrainer == 'SOHOPretrainer' else
             dict(pixel_sampler=dict(type='PixelSampler', num_samples=3)))
    encoder = dict(tiny_grid_encoder(),
                   visual_embed='sine' if pretrainer == 'SOHOPretrainer' else 'type')
    model = MODELS.build(dict(type=pretrainer, encoder=encoder, itm_head=dict(type='ITMHead'),
                              mlm_masker=dict(mask_prob=0.5), **extra)).train()
    images = torch.randn(2, 3, 128, 96)
    shape = dict(img_shape=(128, 64))  # with padding, so the mask is repeated too
    grouped = [DataSample(texts=CAPTIONS[:2], image_id=7, metainfo=shape),
               DataSample(texts=CAPTIONS[2:], image_id=9, metainfo=shape)]
    expanded = [DataSample(text=c, image_id=7 if i < 2 else 9, metainfo=shape)
                for i, c in enumerate(CAPTIONS)]
    cnn_batches = []
    model.encoder.backbone.register_forward_hook(
        lambda module, args, out: cnn_batches.append(len(args[0])))
    state = {k: v.clone() for k, v in model.state_dict().items()}  # BN and dictionary EMA

    def losses(imgs, samples, seed=0):
        model.load_state_dict(state)
        torch.manual_seed(seed)
        return model.loss(imgs, samples)

    got = losses(images, grouped)
    want = losses(images[[0, 0, 1, 1]], expanded)
    assert cnn_batches == [2, 4]  # one CNN pass per image for the groups
    assert set(got) == set(want) and {'loss_mlm', 'loss_itm'} <= set(got)
    for key in want:
        torch.testing.assert_close(got[key], want[key], atol=1e-4, rtol=1e-4, msg=key)
    assert got['loss_mlm'] > 0 and (pretrainer == 'PixelBERTPretrainer' or got['loss_mvm'] > 0)
    # the groups are real pairs: another draw of the randomness changes the losses
    other = losses(images, grouped, seed=1)
    assert any(not torch.allclose(other[k], got[k]) for k in got)


def test_caption_group_negatives_are_captions_of_other_images(model):
    seen = {}
    sampler = model.itm_sampler
    model.itm_sampler = lambda texts, image_ids: seen.update(ids=list(image_ids)) or \
        sampler(texts, image_ids)
    try:
        model.loss(torch.randn(2, 3, 128, 128),
                   [DataSample(texts=CAPTIONS[:2], image_id=3, metainfo=dict(img_shape=(128, 128))),
                    DataSample(texts=CAPTIONS[2:], metainfo=dict(img_shape=(128, 128)))])
    finally:
        model.itm_sampler = sampler
    assert seen['ids'] == [3, 3, 1, 1]  # the sampler never pairs a caption with its own image
    texts = CAPTIONS[:2] + CAPTIONS[2:]
    index, labels = sampler.__class__(prob=1.0)(texts, seen['ids'],
                                                 torch.Generator().manual_seed(0))
    for i, j in enumerate(index.tolist()):
        assert labels[i] == 0 and seen['ids'][j] != seen['ids'][i]


@pytest.mark.parametrize('texts', [[], 'a red circle', ['a red circle', 3]])
def test_malformed_caption_group_is_an_error(model, texts):
    with pytest.raises(ValueError, match=r'data_samples\[0\]\.texts must be a non-empty list'):
        model.caption_pairs([DataSample(texts=texts)])


def test_caption_group_outside_pretraining_is_an_error(model):
    with pytest.raises(ValueError, match='caption group `texts`'):
        model.extract_feat(torch.randn(1, 3, 64, 64), [DataSample(texts=['a', 'b'])])
