"""Rich-region VQA (arXiv 1910.13077): the BUTD top-down attention head over regions (masked
padding regions get zero weight, the attended feature is the weighted sum, the question GRU
reads only real tokens), BERT question token features, the padded region batch, the region
feature VQA dataset and the model's loss / predict steps."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmvl.datasets.region_features import write_region_npz
from mmvl.datasets.vl import RegionFeatureVQADataset
from mmvl.models.multimodal.region_vqa import (BUTDAttentionHead, MCANHead,
                                               RegionFeaturePreprocessor)
from mmvl.registry import MODELS


def make_head(**kwargs):
    torch.manual_seed(0)
    cfg = dict(region_channels=8, text_channels=6, hidden_channels=5, dropout=0.)
    cfg.update(kwargs)
    return BUTDAttentionHead(**cfg).eval()


def test_padding_regions_get_zero_attention_and_do_not_change_the_output():
    head = make_head()
    regions = torch.randn(2, 4, 8)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    tokens, token_mask = torch.randn(2, 3, 6), torch.ones(2, 3, dtype=torch.bool)
    h, alpha = head(regions, mask, tokens, token_mask)
    assert (alpha[0, 2:] == 0).all() and (alpha[0, :2] > 0).all()
    torch.testing.assert_close(alpha.sum(1), torch.ones(2))
    # padding content is irrelevant: change it, same output for sample 0
    noisy = regions.clone()
    noisy[0, 2:] = 100 * torch.randn(2, 8)
    h2, _ = head(noisy, mask, tokens, token_mask)
    torch.testing.assert_close(h2[0], h[0])
    # and equals running on the two real regions alone
    h3, alpha3 = head(regions[:1, :2], mask[:1, :2], tokens[:1], token_mask[:1])
    torch.testing.assert_close(h3[0], h[0])
    torch.testing.assert_close(alpha3[0], alpha[0, :2])


def test_attention_follows_the_butd_formula():
    head = make_head(l2_norm_regions=True, question_pooling='mean')
    regions = torch.randn(1, 3, 8)
    mask = torch.ones(1, 3, dtype=torch.bool)
    tokens, token_mask = torch.randn(1, 4, 6), torch.tensor([[True, True, True, False]])
    h, alpha = head(regions, mask, tokens, token_mask)
    v = F.normalize(regions[0], dim=-1)
    q = tokens[0, :3].mean(0)
    gated = lambda m, x: torch.tanh(m.fc(x)) * torch.sigmoid(m.gate(x))  # noqa: E731
    logits = torch.stack([head.att_logit(gated(head.att_fc, torch.cat([vi, q]))).squeeze()
                          for vi in v])
    torch.testing.assert_close(alpha[0], logits.softmax(0))
    attended = (logits.softmax(0)[:, None] * v).sum(0)
    torch.testing.assert_close(h[0], gated(head.q_fc, q) * gated(head.v_fc, attended))


def test_question_gru_ignores_padding_tokens():
    head = make_head(question_pooling='gru')
    tokens = torch.randn(1, 5, 6)
    short = head.question_vector(tokens[:, :3], torch.ones(1, 3, dtype=torch.bool))
    padded_tokens = tokens.clone()
    padded_tokens[:, 3:] = 50.
    padded = head.question_vector(padded_tokens,
                                  torch.tensor([[True, True, True, False, False]]))
    torch.testing.assert_close(padded, short)


def test_box_geometry_is_appended_when_asked():
    head = make_head(with_boxes=True)
    assert head.v_fc.fc.in_features == 8 + 6
    with pytest.raises(ValueError, match='with_boxes'):
        head(torch.randn(1, 2, 8), torch.ones(1, 2, dtype=torch.bool), torch.randn(1, 2, 6),
             torch.ones(1, 2, dtype=torch.bool))


def test_mcan_ignores_padding_regions_and_tokens():
    torch.manual_seed(0)
    head = MCANHead(region_channels=8, text_channels=6, hidden_channels=16, out_channels=12,
                    num_layers=2, num_heads=2, dropout=0.).eval()
    regions, tokens = torch.randn(2, 5, 8), torch.randn(2, 4, 6)
    region_mask = torch.tensor([[True, True, True, False, False], [True] * 5])
    token_mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    joint, weights = head(regions, region_mask, tokens, token_mask)
    assert joint.shape == (2, 12)
    assert (weights[0, 3:] == 0).all() and (weights[0, :3] > 0).all()
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    noisy_regions, noisy_tokens = regions.clone(), tokens.clone()
    noisy_regions[0, 3:] = 50 * torch.randn(2, 8)
    noisy_tokens[1, 2:] = 50 * torch.randn(2, 6)
    joint2, _ = head(noisy_regions, region_mask, noisy_tokens, token_mask)
    torch.testing.assert_close(joint2, joint)
    # the same as the unpadded sample alone
    alone, _ = head(regions[:1, :3], region_mask[:1, :3], tokens[:1], token_mask[:1])
    torch.testing.assert_close(alone[0], joint[0])


def test_preprocessor_pads_regions_with_a_mask():
    pre = RegionFeaturePreprocessor()
    items = [dict(feats=torch.ones(2, 3), boxes=torch.ones(2, 4)),
             dict(feats=torch.full((4, 3), 2.), boxes=torch.ones(4, 4))]
    out = pre(dict(inputs=items, data_samples=None))['inputs']
    # the same batch as mmengine's pseudo_collate gives it (a dict of lists)
    collated = pre(pseudo_collate([dict(inputs=i) for i in items]))['inputs']
    for key in ('feats', 'boxes', 'mask'):
        torch.testing.assert_close(collated[key], out[key])
    assert out['feats'].shape == (2, 4, 3)
    assert out['mask'].tolist() == [[True, True, False, False], [True] * 4]
    assert (out['feats'][0, 2:] == 0).all()


@pytest.fixture(scope='module')
def region_vqa_root(toyworld, tmp_path_factory):
    """Random region features for every toy image and a train answer table."""
    root = str(tmp_path_factory.mktemp('region_vqa'))
    rng = np.random.RandomState(0)
    ids = set()
    for split in ('train', 'val'):
        with open(osp.join(toyworld, 'vqa', f'toyworld_{split}_questions.json')) as f:
            ids |= {q['image_id'] for q in json.load(f)['questions']}
    for image_id in sorted(ids):
        k = int(rng.randint(10, 14))
        boxes = np.sort(rng.rand(k, 4).astype(np.float32) * 160, axis=1)
        write_region_npz(osp.join(root, 'feats'), dict(
            image_id=image_id, image_w=160, image_h=160, num_boxes=k,
            boxes=boxes[:, [0, 1, 2, 3]], features=rng.rand(k, 16).astype(np.float32)))
    from mmvl.datasets.vl import build_answer_table
    table = build_answer_table(osp.join(toyworld, 'vqa', 'toyworld_train_annotations.json'),
                               min_count=1)
    with open(osp.join(root, 'answer_table.json'), 'w') as f:
        json.dump(table, f)
    return root


def build_dataset(toyworld, root, split='val'):
    init_default_scope('mmvl')
    return RegionFeatureVQADataset(
        data_root=toyworld, feature_dir=osp.join(root, 'feats'),
        question_file=f'vqa/toyworld_{split}_questions.json',
        ann_file=f'vqa/toyworld_{split}_annotations.json',
        answer_table=osp.join(root, 'answer_table.json'),
        pipeline=[dict(type='LoadRegionFeatures', max_boxes=11),
                  dict(type='PackRegionVQAInputs')])


def test_dataset_pairs_questions_with_their_region_features(toyworld, region_vqa_root):
    ds = build_dataset(toyworld, region_vqa_root)
    item = ds[0]
    sample = item['data_samples']
    assert item['inputs']['feats'].shape[0] <= 11 and item['inputs']['feats'].shape[1] == 16
    assert ((item['inputs']['boxes'] >= 0) & (item['inputs']['boxes'] <= 1)).all()
    assert sample.img_path.endswith(f'{sample.image_id}.npz')
    assert len(sample.gt_answer) == 10 and sample.question
    assert len(sample.gt_answer_label) == len(sample.gt_answer_score)


def test_dataset_missing_features_is_one_clear_error(toyworld, tmp_path):
    with pytest.raises(FileNotFoundError, match='region feature folder not found'):
        RegionFeatureVQADataset(data_root=toyworld, feature_dir=str(tmp_path / 'none'),
                                question_file='vqa/toyworld_val_questions.json')


def test_model_loss_and_predict(toyworld, region_vqa_root):
    ds = build_dataset(toyworld, region_vqa_root)
    model = MODELS.build(dict(
        type='RegionVQA',
        question_encoder=dict(type='BertQuestionEncoder', name='all-MiniLM-L6-v2',
                              frozen=True),
        head=dict(type='BUTDAttentionHead', region_channels=16, hidden_channels=32),
        answer_head=dict(type='VQAClassificationHead', hidden_channels=64,
                         answer_table=osp.join(region_vqa_root, 'answer_table.json'))))
    bert_before = {k: v.clone() for k, v in model.question_encoder.state_dict().items()}
    model.init_weights()
    batch = model.data_preprocessor(
        dict(inputs=[ds[i]['inputs'] for i in range(4)],
             data_samples=[ds[i]['data_samples'] for i in range(4)]), True)
    model.train()
    losses = model(**batch, mode='loss')
    losses['loss_vqa'].backward()
    # frozen BERT: no gradient, weights kept through init_weights
    assert all(p.grad is None for p in model.question_encoder.parameters())
    for k, v in model.question_encoder.state_dict().items():
        torch.testing.assert_close(v, bert_before[k])
    assert model.head.att_fc.fc.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        preds = model(**batch, mode='predict')
    table = model.answer_head.answer_table
    for pred, mask in zip(preds, batch['inputs']['mask']):
        assert pred.pred_answer in table
        assert pred.pred_answer_scores.shape == (len(table), )
        assert len(pred.region_attention) == int(mask.sum())
