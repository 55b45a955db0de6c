# Copyright (c) mmvl contributors. All rights reserved.
"""Shared VL heads: VQA soft-score BCE, NLVR2 pair head, ITM head and top-k re-ranking."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmvl.models.multimodal import (ITMHead, NLVR2PairHead, NOT_RERANKED, VQAClassificationHead,
                                    itm_rerank)
from mmvl.registry import MODELS

TABLE = ['yes', 'no', '2', 'red']


def _vqa_samples():
    return [DataSample(gt_answer_label=[0, 1], gt_answer_score=[1.0, 0.3]),
            DataSample(gt_answer_label=[3], gt_answer_score=[0.6]),
            DataSample(gt_answer_label=[], gt_answer_score=[])]


def test_vqa_head_forms():
    soho = MODELS.build(dict(type='VQAClassificationHead', in_channels=8, hidden_channels=32,
                             answer_table=TABLE, dropout=0.5))
    assert [type(m) for m in soho.mlp] == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Dropout,
                                           torch.nn.Linear]
    eve = VQAClassificationHead(8, 16, num_answers=4, norm='LN', act='GELU')
    assert [type(m) for m in eve.mlp] == [torch.nn.Linear, torch.nn.LayerNorm, torch.nn.GELU,
                                          torch.nn.Linear]
    with pytest.raises(ValueError, match='norm'):
        VQAClassificationHead(8, 16, num_answers=4, norm='BN')
    with pytest.raises(ValueError, match='answer table has 4'):
        VQAClassificationHead(8, 16, num_answers=5, answer_table=TABLE)


def test_vqa_loss_is_soft_bce_times_num_answers():
    torch.manual_seed(0)
    head = VQAClassificationHead(8, 16, answer_table=TABLE)
    feats = torch.randn(3, 8)
    loss = head.loss(feats, _vqa_samples())['loss_vqa']
    logits = head(feats)
    target = torch.tensor([[1.0, 0.3, 0, 0], [0, 0, 0, 0.6], [0, 0, 0, 0]])
    # sum over answers, mean over the batch, by hand
    by_hand = -(target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits))
    assert loss.item() == pytest.approx(by_hand.sum(1).mean().item(), rel=1e-5)
    loss.backward()
    assert all(p.grad is not None for p in head.parameters())
    with pytest.raises(KeyError, match='gt_answer_label'):
        head.loss(feats[:1], [DataSample()])


def test_vqa_predict():
    head = VQAClassificationHead(4, 4, answer_table=TABLE)
    with torch.no_grad():  # make the head the identity-ish: answer i wins for feature e_i
        head.mlp[0].weight.copy_(torch.eye(4))
        head.mlp[0].bias.zero_()
        head.mlp[-1].weight.copy_(torch.eye(4) * 5)
        head.mlp[-1].bias.zero_()
    samples = head.predict(torch.eye(4)[[3, 0]], [DataSample(), DataSample()])
    assert [s.pred_answer for s in samples] == ['red', 'yes']
    assert samples[0].pred_score == pytest.approx(torch.sigmoid(torch.tensor(5.)).item())
    assert samples[0].pred_answer_scores.shape == (4, )


def test_nlvr2_pair_head_concatenates_both_images():
    torch.manual_seed(0)
    head = NLVR2PairHead(6, 12)
    assert head.mlp[0].in_features == 12
    f0, f1 = torch.randn(2, 6), torch.randn(2, 6)
    # the prediction depends on both images, in order
    assert not torch.allclose(head(f0, f1), head(f1, f0))
    samples = [DataSample().set_gt_label(1), DataSample().set_gt_label(0)]
    losses = head.loss(f0, f1, samples)
    assert losses['loss_nlvr2'].item() == pytest.approx(
        F.cross_entropy(head(f0, f1), torch.tensor([1, 0])).item())
    out = head.predict(f0, f1, [DataSample(), DataSample()])
    assert out[0].pred_score.sum().item() == pytest.approx(1.0)
    assert int(out[0].pred_label) == int(head(f0, f1)[0].argmax())


def test_itm_head():
    head = ITMHead(4)
    assert head.fc.bias is None
    feats = torch.randn(5, 4)
    labels = torch.tensor([1, 0, 1, 0, 0])
    losses = head.loss(feats, labels)
    assert losses['loss_itm'].item() == pytest.approx(
        F.cross_entropy(head(feats), labels).item())
    correct = (head(feats).argmax(1) == labels).float().mean().item()
    assert losses['acc_itm'].item() == pytest.approx(100 * correct)  # percent, like acc_mlm
    assert torch.allclose(head.scores(feats), head(feats)[:, 1])
    assert torch.allclose(head.scores(feats, 'prob'), head(feats).softmax(1)[:, 1])


def test_itm_rerank_changes_only_the_topk():
    first = torch.tensor([[0.9, 0.1, 0.5, 0.3],
                          [0.2, 0.8, 0.1, 0.7]])
    second = torch.tensor([[1., 2., 3., 4.], [5., 6., 7., 8.]])
    calls = []

    def score_fn(q, cand):
        calls.append((q, sorted(cand.tolist())))
        return second[q, cand]

    out = itm_rerank(first, 2, score_fn)
    assert calls == [(0, [0, 2]), (1, [1, 3])]
    expected = torch.full((2, 4), NOT_RERANKED)
    expected[0, [0, 2]] = torch.tensor([1., 3.])
    expected[1, [1, 3]] = torch.tensor([6., 8.])
    assert torch.equal(out, expected)
    # the re-ranked order differs from the first stage only inside the top-k
    assert out[0].argmax() == 2 and first[0].argmax() == 0
    # topk=None (or >= C) re-scores every pair
    assert torch.equal(itm_rerank(first, None, lambda q, c: second[q, c]), second)
    assert torch.equal(itm_rerank(first, 10, lambda q, c: second[q, c]), second)
    with pytest.raises(ValueError, match='returned shape'):
        itm_rerank(first, 2, lambda q, c: torch.zeros(3))


def test_vqa_head_reads_answer_table_file(tmp_path):
    path = tmp_path / 'table.json'
    path.write_text('["yes", "no", "2"]')
    head = VQAClassificationHead(4, 8, answer_table=str(path))
    assert head.num_answers == 3 and head.answer_table == ['yes', 'no', '2']


def test_vl_data_preprocessor_pads_to_32_and_keeps_real_size():
    from mmvl.models.data_preprocessors import VLDataPreprocessor
    pre = VLDataPreprocessor(mean=[1, 2, 3], std=[1, 1, 2], to_rgb=False)
    images = [torch.zeros(3, 50, 70, dtype=torch.uint8),
              torch.full((3, 64, 40), 5, dtype=torch.uint8)]
    samples = [DataSample(metainfo=dict(img_shape=(50, 70))), DataSample()]
    out = pre(dict(inputs=images, data_samples=samples))
    batch, samples = out['images'], out['data_samples']
    assert batch.shape == (2, 3, 64, 96)
    assert torch.allclose(batch[0, :, 0, 0], torch.tensor([-1., -2., -1.5]))  # per channel
    assert torch.allclose(batch[1, :, 0, 0], torch.tensor([4., 3., 1.]))
    assert (batch[0, :, 50:, :] == 0).all() and (batch[1, :, :, 40:] == 0).all()  # padding
    assert samples[0].img_shape == (50, 70) and samples[1].img_shape == (64, 40)
    assert samples[0].pad_shape == (64, 96)


def test_vl_data_preprocessor_image_pairs():
    from mmvl.models.data_preprocessors import VLDataPreprocessor
    pre = VLDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False)
    pairs = [[torch.full((3, 40, 40), i, dtype=torch.uint8),
              torch.full((3, 30, 50), 10 + i, dtype=torch.uint8)] for i in range(3)]
    out = pre(dict(inputs=pairs, data_samples=None))
    assert out['images'].shape == (3, 2, 3, 64, 64)
    assert out['images'][2, 1, 0, 0, 0] == 12 and out['images'][1, 0, 0, 0, 0] == 1


def test_two_stage_retrieval_rescoring_per_direction():
    from mmvl.models.multimodal import itc_similarity, two_stage_retrieval
    image = torch.tensor([[1., 0.], [0., 1.], [1., 1.]])
    text = torch.tensor([[2., 0.], [0., 3.], [1., -2.], [1., 1.]])
    sim = itc_similarity(image, text)
    assert sim[0, 0] == pytest.approx(1.0) and sim[1, 2] == pytest.approx(-2 / 5 ** 0.5)
    itm = torch.arange(12, dtype=torch.float).view(3, 4)  # a made-up ITM score per pair
    pairs = []

    def pair_scores(img_idx, txt_idx):
        pairs.extend(zip(img_idx.tolist(), txt_idx.tolist()))
        return itm[img_idx, txt_idx]

    i2t, t2i = two_stage_retrieval(sim, 2, pair_scores)
    # image 0's two best texts by ITC are texts 0 and 3; text 1's two best images are 1 and 2
    assert torch.equal(i2t[0], torch.tensor([0., NOT_RERANKED, NOT_RERANKED, 3.]))
    assert torch.equal(t2i[1], torch.tensor([NOT_RERANKED, 5., 9.]))
    assert len(pairs) == 3 * 2 + 4 * 2
    full_i2t, full_t2i = two_stage_retrieval(sim, None, pair_scores)
    assert torch.equal(full_i2t, itm) and torch.equal(full_t2i, itm.t())


def test_itc_head_info_nce_both_ways_by_hand():
    from mmvl.models.multimodal import ITCHead, two_stage_retrieval
    torch.manual_seed(0)
    head = ITCHead(6, 4, embed_dims=8, temperature=0.07)
    img, txt = torch.randn(3, 6), torch.randn(3, 4)
    out = head.loss(img, txt)
    v = F.normalize(head.image_proj(img), dim=-1)
    w = F.normalize(head.text_proj(txt), dim=-1)
    logits = v @ w.t() / 0.07
    target = torch.arange(3)
    by_hand = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
    assert out['loss_itc'].item() == pytest.approx(by_hand.item(), rel=1e-5)
    out['loss_itc'].backward()
    assert head.temp.grad is not None and head.image_proj.weight.grad is not None
    # two captions of one image: both are positives, each with half the target mass
    shared = head.loss(img, txt, image_ids=[7, 7, 9])['loss_itc']
    t = torch.tensor([[.5, .5, 0], [.5, .5, 0], [0, 0, 1.]])
    logits = logits.detach()
    by_hand = (-(F.log_softmax(logits, 1) * t).sum(1).mean()
               - (F.log_softmax(logits.t(), 1) * t).sum(1).mean()) / 2
    assert shared.item() == pytest.approx(by_hand.item(), rel=1e-5)
    # its similarity is the first stage of two-stage retrieval: top-2 texts per image re-scored
    with torch.no_grad():
        sim = head.similarity(img, txt)
        i2t, _ = two_stage_retrieval(sim, 2, lambda i, t: torch.ones(len(i)))
    assert torch.equal(i2t == 1, torch.zeros_like(sim, dtype=torch.bool).scatter(
        1, sim.topk(2, dim=1).indices, True))


def test_itc_head_temperature_and_aligned_pairs():
    from mmvl.models.multimodal import ITCHead
    fixed = ITCHead(2, 2, embed_dims=2, learnable_temperature=False)
    assert not any('temp' in n for n, _ in fixed.named_parameters())
    with torch.no_grad():
        fixed.image_proj.weight.copy_(torch.eye(2))
        fixed.text_proj.weight.copy_(torch.eye(2))
        fixed.image_proj.bias.zero_()
        fixed.text_proj.bias.zero_()
    aligned = torch.tensor([[1., 0.], [0., 1.]])
    crossed = aligned.flip(0)
    assert fixed.loss(aligned, aligned)['loss_itc'] < fixed.loss(aligned, crossed)['loss_itc']
    assert fixed.loss(aligned, aligned)['acc_itc'] == 100
    assert torch.allclose(fixed.similarity(aligned, crossed), crossed)
    learnt = ITCHead(2, 2)
    with torch.no_grad():
        learnt.temp.fill_(5.0)
    assert learnt.temperature.item() == 0.5  # clamped as ALBEF
    with pytest.raises(ValueError, match='temperature'):
        ITCHead(2, 2, temperature=0.0)
