"""Pixel-BERT: random pixel sampling (training only), the visual type embedding, the
hardest-5-of-20 retrieval loss, and the shared VQA / NLVR2 / retrieval models."""
import contextlib

import pytest
import torch
from mmpretrain.structures import DataSample

from mmvl.models.multimodal.grid_vl import RetrievalNegativeSampler, hardest_negative_loss
from mmvl.models.multimodal.pixel_bert import PixelSampler
from mmvl.registry import MODELS

ENCODER = dict(type='GridVLEncoder',
               backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
               in_channels=512, text_model='all-MiniLM-L6-v2', num_hidden_layers=1,
               visual_embed='type')
CAPTIONS = ['a red circle', 'a blue square', 'two yellow triangles', 'a small purple square']


def samples(**fields):
    return [DataSample(text=c, image_id=i, metainfo=dict(img_shape=(256, 256)), **fields)
            for i, c in enumerate(CAPTIONS)]


@pytest.fixture(scope='module')
def pretrainer():
    torch.manual_seed(0)
    return MODELS.build(dict(type='PixelBERTPretrainer', encoder=ENCODER,
                             itm_head=dict(type='ITMHead'),
                             pixel_sampler=dict(type='PixelSampler', num_samples=3)))


def test_sampler_draws_only_valid_positions():
    tokens = torch.arange(2 * 6, dtype=torch.float).view(2, 6, 1).expand(-1, -1, 4)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]])
    out, out_mask, pos = PixelSampler(3)(tokens, mask, torch.Generator().manual_seed(0))
    assert out.shape == (2, 3, 4)
    assert out_mask.tolist()[1] == [1, 1, 0]  # fewer valid pixels than requested: all kept
    assert out_mask[0].all()
    for b in range(2):
        kept = pos[b][out_mask[b].bool()]
        assert len(set(kept.tolist())) == len(kept)  # without replacement
        assert mask[b, kept].all()  # never a padded pixel
        assert torch.equal(out[b][out_mask[b].bool()], tokens[b, kept])
    draws = {tuple(PixelSampler(3)(tokens, mask)[2][0].sort().values.tolist())
             for _ in range(30)}
    assert len(draws) > 1  # random subsets


def test_sampling_is_on_in_training_and_off_at_test(pretrainer):
    half = [DataSample(metainfo=dict(img_shape=(128, 256)))] * 2  # bottom half is padding
    feats, valid = pretrainer.encoder.grid_features(torch.randn(2, 3, 256, 256), half)
    assert valid.sum((1, 2)).tolist() == [8, 8]  # 4 x 4 grid at stride 64, 2 rows real
    pretrainer.train()
    torch.manual_seed(0)
    tokens, mask, _ = pretrainer.visual_step(feats, valid, None)
    assert tokens.shape[1] == 3 and mask.sum().item() == 6
    real = pretrainer.encoder.embed_visual(feats, valid)[:, :8]  # the two real rows
    for b in range(2):
        for token in tokens[b]:
            assert (real[b] - token).abs().sum(-1).min() < 1e-5  # a real pixel's feature
    pretrainer.eval()
    tokens, mask, _ = pretrainer.visual_step(feats, valid, None)
    assert tokens.shape[1] == 16 and mask.sum().item() == 16


def test_paper_sample_size_draws_100_distinct_valid_positions(pretrainer):
    """The paper's 100 pixels from a 12 x 12 grid with 11 x 11 real cells (23 padded)."""
    valid = torch.zeros(2, 12, 12, dtype=torch.bool)
    valid[:, :11, :11] = True
    feats = torch.randn(2, pretrainer.hidden_size, 12, 12)
    tokens = pretrainer.encoder.embed_visual(feats, valid)
    _, out_mask, pos = PixelSampler(100)(tokens, valid.flatten(1).long(),
                                         torch.Generator().manual_seed(0))
    assert pos.shape == (2, 100) and out_mask.all()
    for b in range(2):
        assert len(set(pos[b].tolist())) == 100
        assert valid.flatten(1)[b, pos[b]].all()  # no padded cell
    sampler = pretrainer.pixel_sampler
    pretrainer.pixel_sampler = PixelSampler(100)
    try:
        pretrainer.train()
        sampled, mask, _ = pretrainer.visual_step(feats, valid, None)
        assert sampled.shape[1] == 100 and mask.all()
        pretrainer.eval()
        full, mask, _ = pretrainer.visual_step(feats, valid, None)
        assert full.shape[1] == 144 and mask.sum((1, )).tolist() == [121, 121]
        assert torch.equal(full, tokens)  # every pixel, unsampled
    finally:
        pretrainer.pixel_sampler = sampler


def test_visual_type_embedding_is_added(pretrainer):
    feats = torch.zeros(1, pretrainer.hidden_size, 1, 2)
    valid = torch.ones(1, 1, 2, dtype=torch.bool)
    enc = pretrainer.encoder
    expected = enc.visual_ln(enc.type_embed.expand(1, 2, -1))
    assert torch.allclose(enc.embed_visual(feats, valid), expected)


def test_pretraining_losses(pretrainer):
    pretrainer.train()
    losses = pretrainer.loss(torch.randn(4, 3, 256, 256), samples())
    assert set(losses) >= {'loss_mlm', 'loss_itm'} and 'loss_mvm' not in losses
    assert torch.isfinite(losses['loss_itm'])


def test_hardest_negative_loss_backpropagates_only_the_hardest():
    pos = torch.randn(3, requires_grad=True)
    neg = torch.randn(3, 20, requires_grad=True)
    valid = torch.ones(3, 20, dtype=torch.bool)
    valid[2, 10:] = False
    loss = hardest_negative_loss(pos, neg, valid, num_hard=5)
    loss.backward()
    for b in range(3):
        hardest = neg[b].detach().masked_fill(~valid[b], float('-inf')).topk(5).indices
        got = neg.grad[b].nonzero().flatten()
        assert set(got.tolist()) == set(hardest.tolist())
        logits = torch.cat([pos[b:b + 1], neg[b, hardest]]).detach()
        assert torch.allclose(neg.grad[b, hardest], logits.softmax(0)[1:] / 3, atol=1e-6)
    assert (pos.grad < 0).all()


def test_retrieval_negatives_and_loss():
    texts = ['a', 'a', 'b', 'c', 'd']
    negs = RetrievalNegativeSampler(num_negatives=2)(texts, [0, 1, 2, 3, 4],
                                                     torch.Generator().manual_seed(0))
    assert all(len(n) == 2 for n in negs)
    assert 1 not in negs[0].tolist() and 0 not in negs[1].tolist()  # same text: not negative
    model = MODELS.build(dict(type='GridVLRetrieval', encoder=ENCODER,
                              itm_head=dict(type='ITMHead'),
                              negative_sampler=dict(type='RetrievalNegativeSampler',
                                                    num_negatives=3), num_hard=2))
    model.train()
    calls = []
    pair_scores = model.pair_scores

    def spy(tokens, vmask, ids, tmask):
        out = pair_scores(tokens, vmask, ids, tmask)
        calls.append((torch.is_grad_enabled(), ids, out.detach()))
        return out

    model.pair_scores = spy
    try:
        loss = model.loss(torch.randn(4, 3, 128, 128), samples())['loss_rank']
    finally:
        del model.pair_scores
    loss.backward()
    # positives (4) and the 2 hardest of 3 negatives per image (8) carry a graph; all 12
    # negatives are scored once without one
    assert [(g, len(ids)) for g, ids, _ in calls] == [(True, 4), (False, 12), (True, 8)]
    all_ids, all_scores = calls[1][1].view(4, 3, -1), calls[1][2].view(4, 3)
    hard_ids = calls[2][1].view(4, 2, -1)
    for b in range(4):
        top = all_scores[b].topk(2).indices
        assert torch.equal(hard_ids[b], all_ids[b, top])
    assert model.encoder.bert.encoder.layer[0].output.dense.weight.grad is not None
    model.eval()
    test_samples = [DataSample(text=[c, c + ' here'], gt_text_id=[2 * i, 2 * i + 1],
                               gt_image_id=[i, i], metainfo=dict(img_shape=(128, 128)))
                    for i, c in enumerate(CAPTIONS)]
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(4, 3, 128, 128), test_samples)
        i2t, t2i = model.predict_all(feats, test_samples, 4, 8)
        direct = model.pair_scores(feats['visual_tokens'][1:2], feats['visual_mask'][1:2],
                                   feats['text_ids'][5:6], feats['text_mask'][5:6])
    assert len(i2t) == 4 and len(t2i) == 8
    assert i2t[1].pred_score.shape == (8, ) and t2i[5].pred_score.shape == (4, )
    assert torch.allclose(i2t[1].pred_score[5], direct[0], atol=1e-5)
    assert t2i[5].gt_label == 2 and i2t[1].gt_label == [2, 3]


def test_hardest_negatives_are_chosen_without_dropout(monkeypatch):
    """The hardest negatives are found with dropout off: the choice does not depend on the
    dropout draw, and the model's training flags are restored afterwards."""
    from mmvl.models.multimodal.grid_vl import retrieval
    model = MODELS.build(dict(type='GridVLRetrieval', encoder=ENCODER,
                              itm_head=dict(type='ITMHead'),
                              negative_sampler=dict(type='RetrievalNegativeSampler',
                                                    num_negatives=3), num_hard=1))
    for m in model.encoder.bert.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.5  # a strong dropout would reorder the negatives if it were on
    model.negative_sampler = lambda texts, image_ids: [
        torch.tensor([j for j in range(4) if j != i]) for i in range(4)]
    images = torch.randn(4, 3, 128, 128)
    calls = []
    pair_scores = model.pair_scores

    def spy(tokens, vmask, ids, tmask):
        calls.append((ids, model.encoder.bert.training))
        return pair_scores(tokens, vmask, ids, tmask)

    def choices(train=True):
        model.train(train)
        model.encoder.backbone.eval()  # a child kept in eval mode on purpose stays so
        out = []
        for seed in range(4):
            torch.manual_seed(seed)
            calls.clear()
            model.loss(images, samples())
            assert [training for _, training in calls] == [train, False, train]
            out.append(calls[2][0])  # the ids re-scored with a graph: the chosen hardest
        return out

    model.pair_scores = spy
    try:
        chosen = choices()
        assert all(torch.equal(c, chosen[0]) for c in chosen)
        assert torch.equal(chosen[0], choices(train=False)[0])  # = a model without dropout
        assert model.training is False
        model.train()
        model.encoder.backbone.eval()
        model.loss(images, samples())
        assert model.training and all(m.training for m in model.encoder.bert.modules())
        assert not model.encoder.backbone.training
        # sensitivity: ranked with dropout on, the choice would follow the draw
        monkeypatch.setattr(retrieval, 'eval_mode', lambda *modules: contextlib.nullcontext())
        drawn = []
        for seed in range(6):
            torch.manual_seed(seed)
            calls.clear()
            model.loss(images, samples())
            drawn.append(calls[2][0])
        assert any(not torch.equal(d, drawn[0]) for d in drawn)
    finally:
        del model.pair_scores


def test_vqa_and_nlvr2_models():
    answers = ['yes', 'no', '2', 'red']
    vqa = MODELS.build(dict(type='GridVLVQA', encoder=ENCODER,
                            head=dict(type='VQAClassificationHead', hidden_channels=32,
                                      answer_table=answers)))
    qs = [DataSample(question='is it red?', gt_answer_label=[0], gt_answer_score=[1.0],
                     metainfo=dict(img_shape=(128, 128))) for _ in range(2)]
    losses = vqa.loss(torch.randn(2, 3, 128, 128), qs)
    assert losses['loss_vqa'] > 0
    vqa.eval()
    with torch.no_grad():
        out = vqa.predict(torch.randn(2, 3, 128, 128), qs)
    assert out[0].pred_answer in answers
    nlvr = MODELS.build(dict(type='GridVLNLVR2', encoder=ENCODER,
                             head=dict(type='NLVR2PairHead', hidden_channels=32)))
    pairs = [DataSample(text='there are two circles', gt_label=1,
                        metainfo=dict(img_shape=[(128, 128), (128, 128)])) for _ in range(2)]
    losses = nlvr.loss(torch.randn(2, 2, 3, 128, 128), pairs)
    assert torch.isfinite(sum(v for k, v in losses.items() if 'loss' in k))
    with pytest.raises(ValueError, match='B x 2 x 3'):
        nlvr.loss(torch.randn(2, 3, 128, 128), pairs)


@pytest.mark.parametrize('visual_embed', ['type', 'sine'])
def test_nlvr2_masks_each_views_padding(visual_embed):
    """Each view's padded grid cells are masked from that view's own size: changing them
    does not change the output (the keep-ratio NLVR2 configs rely on it)."""
    torch.manual_seed(0)
    nlvr = MODELS.build(dict(type='GridVLNLVR2', encoder=dict(ENCODER, visual_embed=visual_embed),
                             head=dict(type='NLVR2PairHead', hidden_channels=32))).eval()
    shapes = [[(128, 64), (64, 128)], [(128, 128), (64, 64)]]
    pairs = [DataSample(text='there are two circles', metainfo=dict(img_shape=s))
             for s in shapes]
    # the 2 x 2 grid (stride 64) of each view: 1 = a cell covering the real image
    real = torch.tensor([[[[1, 0], [1, 0]], [[1, 1], [0, 0]]],
                         [[[1, 1], [1, 1]], [[1, 0], [0, 0]]]]).bool()  # B x view x h x w
    images = torch.randn(2, 2, 3, 128, 128)
    calls = []

    def perturb(where):
        def hook(module, args, out):
            view = len(calls)
            calls.append(view)
            noise = 100 * torch.randn_like(out)
            return torch.where(where[:, view, None], out + noise, out)
        return hook

    def cls(where=None):
        calls.clear()
        handle = nlvr.encoder.proj.register_forward_hook(perturb(where)) if where is not None \
            else None
        try:
            with torch.no_grad():
                return torch.cat(nlvr.extract_feat(images, pairs), dim=1)
        finally:
            if handle is not None:
                handle.remove()

    clean = cls()
    torch.testing.assert_close(cls(~real), clean)  # padded cells: no effect
    one_real = torch.zeros_like(real)
    one_real[0, 1, 0, 1] = True  # a real cell of view 1 of sample 0
    changed = cls(one_real)
    assert not torch.allclose(changed[0], clean[0]) and torch.allclose(changed[1], clean[1])
    # VLDataPreprocessor records the per-view shapes of differently sized pairs itself
    from mmvl.models.data_preprocessors import VLDataPreprocessor
    pre = VLDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False)
    raw = [[images[b, v, :, :h, :w] for v, (h, w) in enumerate(s)] for b, s in enumerate(shapes)]
    out = pre(dict(inputs=raw, data_samples=[DataSample(text=p.text) for p in pairs]))
    assert [s.img_shape for s in out['data_samples']] == shapes
    assert out['images'].shape == (2, 2, 3, 128, 128)
    views = [nlvr.view_samples(out['data_samples'], k) for k in range(2)]
    assert [[v[b].img_shape for v in views] for b in range(2)] == shapes
    # one clear error when the shapes are missing or are not one per view
    for metainfo in (dict(), dict(img_shape=(128, 128))):
        with pytest.raises(ValueError, match=r'data_samples\[0\]\.img_shape must list'):
            nlvr.extract_feat(images, [DataSample(text='a', metainfo=metainfo)] * 2)
