# Copyright (c) mmvl contributors. All rights reserved.
"""Whole-word MLM masking: rates over many draws, whole words, special tokens never masked."""
import pytest
import torch

from mmvl.models.multimodal import WholeWordMasker, build_tokenizer, word_ids_of

SENTENCES = ['the unbelievable hexagon is left of a crescent',
             'a purple octagonal thingamajig sits above the tiny diamond',
             'yes']


@pytest.fixture(scope='module')
def tokenizer():
    return build_tokenizer('all-MiniLM-L6-v2')


@pytest.fixture(scope='module')
def batch(tokenizer):
    return tokenizer(SENTENCES, padding='max_length', max_length=24, return_tensors='pt')


def test_word_ids_group_wordpieces(tokenizer, batch):
    ids = batch['input_ids']
    word_ids = word_ids_of(ids, tokenizer)
    tokens = tokenizer.convert_ids_to_tokens(ids[0].tolist())
    assert tokens[3:6] == ['he', '##xa', '##gon']
    assert word_ids[0, 3] == word_ids[0, 4] == word_ids[0, 5]
    assert word_ids[0, 2] != word_ids[0, 3] != word_ids[0, 6]
    special = torch.isin(ids, torch.tensor(tokenizer.all_special_ids))
    assert (word_ids[special] == -1).all() and (word_ids[~special] >= 0).all()
    # ids never repeat across sequences
    assert not set(word_ids[0].tolist()) - {-1} & set(word_ids[1].tolist())


def test_masking_rates_over_many_draws(tokenizer, batch):
    masker = WholeWordMasker(tokenizer)
    ids, attn = batch['input_ids'], batch['attention_mask']
    maskable = ~torch.isin(ids, torch.tensor(tokenizer.all_special_ids))
    word_ids = word_ids_of(ids, tokenizer)
    gen = torch.Generator().manual_seed(0)
    chosen = masked_tok = random_tok = kept = maskable_total = 0
    for _ in range(1500):
        masked, labels = masker(ids, attn, generator=gen)
        sel = labels != -100
        assert not (sel & ~maskable).any(), 'a special or padding token was chosen'
        assert (labels[sel] == ids[sel]).all()
        assert (masked[~sel] == ids[~sel]).all(), 'an unchosen token changed'
        # whole words: every token of a word shares the decision
        for w in word_ids[sel].unique():
            assert sel[word_ids == w].all()
        chosen += sel.sum().item()
        maskable_total += maskable.sum().item()
        masked_tok += (masked[sel] == tokenizer.mask_token_id).sum().item()
        changed = (masked[sel] != ids[sel]) & (masked[sel] != tokenizer.mask_token_id)
        random_tok += changed.sum().item()
        kept += (masked[sel] == ids[sel]).sum().item()
    assert chosen / maskable_total == pytest.approx(0.15, abs=0.01)
    assert masked_tok / chosen == pytest.approx(0.8, abs=0.02)
    # a random replacement equal to the original counts as kept (1 in 30522)
    assert random_tok / chosen == pytest.approx(0.1, abs=0.015)
    assert kept / chosen == pytest.approx(0.1, abs=0.015)


def test_attention_mask_and_generator(tokenizer, batch):
    masker = WholeWordMasker(tokenizer, mask_prob=1.0)
    ids = batch['input_ids']
    attn = batch['attention_mask'].clone()
    attn[1] = 0
    _, labels = masker(ids, attn, generator=torch.Generator().manual_seed(1))
    assert (labels[1] == -100).all()
    assert (labels[0] != -100).sum() == 10  # every real token of sentence 0
    a = masker(ids, generator=torch.Generator().manual_seed(3))
    b = masker(ids, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_bad_ratios(tokenizer):
    with pytest.raises(ValueError, match='mask_prob'):
        WholeWordMasker(tokenizer, mask_prob=1.5)
    with pytest.raises(ValueError, match='sum to'):
        WholeWordMasker(tokenizer, mask_token_ratio=0.8, random_token_ratio=0.3)


def test_text_encoder_keeps_pretrained_layers():
    from safetensors.torch import load_file
    import os.path as osp
    from mmvl.models.language_models import resolve_text_model
    from mmvl.models.multimodal.text_utils import build_text_encoder
    encoder = build_text_encoder('all-MiniLM-L6-v2', num_hidden_layers=2)
    assert len(encoder.encoder.layer) == 2 and encoder.pooler is None
    weights = load_file(osp.join(resolve_text_model('all-MiniLM-L6-v2'), 'model.safetensors'))
    key = next(k for k in weights if k.endswith('encoder.layer.1.attention.self.query.weight'))
    assert torch.equal(encoder.encoder.layer[1].attention.self.query.weight, weights[key])
    random = build_text_encoder('all-MiniLM-L6-v2', num_hidden_layers=2, pretrained=False)
    assert not torch.equal(random.encoder.layer[1].attention.self.query.weight, weights[key])
