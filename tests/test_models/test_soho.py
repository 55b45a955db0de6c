"""SOHO: visual dictionary, MVM masking, gated fusion, straight-through gradient, ITM
negatives, the two-optimizer step and the padding mask."""
import pytest
import torch
from mmengine.optim import OptimWrapperDict
from mmpretrain.structures import DataSample

from mmvl.models.multimodal.grid_vl import GridVLEncoder, ITMNegativeSampler
from mmvl.models.multimodal.soho import MVMMasker, VisualDictionary
from mmvl.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

ENCODER = dict(type='GridVLEncoder',
               backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, ),
                             frozen_stages=1),
               in_channels=512, text_model='all-MiniLM-L6-v2', num_hidden_layers=1)
CAPTIONS = ['a red circle', 'a blue square left of a green star', 'two yellow triangles',
            'a small purple square']


def samples(size=(128, 128)):
    return [DataSample(text=c, image_id=i, metainfo=dict(img_shape=size))
            for i, c in enumerate(CAPTIONS)]


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return MODELS.build(dict(type='SOHOPretrainer', encoder=ENCODER,
                             itm_head=dict(type='ITMHead'), num_tokens=16))


def test_dictionary_ema_follows_the_formula():
    torch.manual_seed(0)
    vd = VisualDictionary(num_tokens=3, dims=2, decay=0.4, eps=1e-5)
    vd.embed.copy_(torch.tensor([[0., 0.], [10., 0.], [0., 10.]]))
    vd.cluster_size.copy_(torch.tensor([1., 2., 0.]))
    vd.embed_avg.copy_(torch.tensor([[1., 1.], [20., 0.], [0., 0.]]))
    x = torch.tensor([[1., 0.], [9., 1.], [11., -1.], [0.5, 0.5]])
    vd.train()
    quantized, idx = vd(x)
    assert idx.tolist() == [0, 1, 1, 0]
    counts = torch.tensor([2., 2., 0.])
    sums = torch.tensor([[1.5, .5], [20., 0.], [0., 0.]])
    size = 0.4 * torch.tensor([1., 2., 0.]) + 0.6 * counts
    avg = 0.4 * torch.tensor([[1., 1.], [20., 0.], [0., 0.]]) + 0.6 * sums
    smoothed = (size + 1e-5) / (size.sum() + 3 * 1e-5) * size.sum()
    assert torch.allclose(vd.cluster_size, size)
    assert torch.allclose(vd.embed_avg, avg)
    assert torch.allclose(vd.embed, avg / smoothed[:, None])
    assert torch.allclose(quantized, vd.embed[idx])  # value = the updated entries
    vd.eval()
    before = vd.embed.clone()
    vd(x)
    assert torch.equal(vd.embed, before)  # no update at test time


def test_padded_cells_do_not_update_the_dictionary(model):
    """Only valid cells enter the EMA: padding changes neither counts nor sums."""
    model.train()
    valid = torch.zeros(2, 4, 4, dtype=torch.bool)
    valid[0, :3, :2] = True
    valid[1] = True
    feats = torch.randn(2, model.hidden_size, 4, 4)
    state = {k: v.clone() for k, v in model.vd.state_dict().items()}

    def ema_after(x):
        model.vd.load_state_dict(state)
        _, indices = model.quantize(x, valid)
        return {k: v.clone() for k, v in model.vd.state_dict().items()}, indices

    after, indices = ema_after(feats)
    assert (after['cluster_sum'] - state['cluster_sum']).sum() == valid.sum() == 22
    assert (indices == -100).sum() == 10 and (indices[valid.flatten(1)] >= 0).all()
    moved = feats.clone()
    moved[~valid[:, None].expand_as(feats)] = 1e3  # padding far from every entry
    after_moved, _ = ema_after(moved)
    for key in ('cluster_size', 'cluster_sum', 'embed_avg', 'embed'):
        assert torch.equal(after[key], after_moved[key]), key
    model.vd.load_state_dict(state)


def test_straight_through_gradient_reaches_cnn(model):
    model.train()
    feats, valid = model.encoder.grid_features(torch.randn(2, 3, 128, 128))
    quantized, _ = model.quantize(feats, valid)
    weight = torch.randn_like(quantized)
    model.encoder.zero_grad()
    (quantized * weight).sum().backward()
    conv = model.encoder.backbone.layer4[-1].conv2.weight.grad
    assert conv is not None and conv.abs().sum() > 0
    proj = model.encoder.proj.conv.weight.grad
    # d(sum(q * w))/dx = w exactly: the gradient skips the nearest-entry lookup
    feats2, _ = model.encoder.grid_features(torch.randn(2, 3, 128, 128))
    feats2.retain_grad()
    q2, _ = model.quantize(feats2, torch.ones(2, *feats2.shape[-2:], dtype=torch.bool))
    (q2 * weight).sum().backward()
    assert torch.allclose(feats2.grad, weight)
    assert proj is not None


def test_mvm_masks_every_position_of_the_chosen_index():
    indices = torch.tensor([[3, 5, 3, 7, 3, -100], [5, 5, 1, 3, 2, 5]])
    valid = indices >= 0
    gen = torch.Generator().manual_seed(0)
    loc = torch.randint(6, (1, ), generator=torch.Generator().manual_seed(0)).item()
    mask = MVMMasker(mask_prob=1.0)(indices, valid, generator=gen)
    for row, row_mask in zip(indices, mask):
        chosen = row[loc]
        expected = (row == chosen) & (row >= 0) if chosen >= 0 else torch.zeros_like(row_mask)
        assert torch.equal(row_mask, expected)
    assert mask.any()
    assert not MVMMasker(mask_prob=0.0)(indices, valid).any()


def test_mvm_location_is_drawn_per_batch_or_per_image():
    """Released code: one grid location for the batch; ``per_image``: one per image."""
    indices = torch.arange(6).repeat(4, 1)  # every cell its own entry: the mask is one-hot
    valid = torch.ones(4, 6, dtype=torch.bool)
    per_batch, per_image = MVMMasker(mask_prob=1.0), MVMMasker(mask_prob=1.0, per_image=True)
    assert not per_batch.per_image  # the default is the released behaviour
    gen = torch.Generator().manual_seed(0)
    batch_locs = [per_batch(indices, valid, gen).int().argmax(1) for _ in range(20)]
    image_locs = [per_image(indices, valid, gen).int().argmax(1) for _ in range(20)]
    assert all((loc == loc[0]).all() for loc in batch_locs)
    assert any((loc != loc[0]).any() for loc in image_locs)
    # each image masks every position sharing the entry at its own drawn location
    indices = torch.tensor([[3, 5, 3, 7, 3, -100], [5, 5, 1, 3, 2, 5]])
    locs = torch.randint(6, (2, 1), generator=torch.Generator().manual_seed(1))
    mask = per_image(indices, indices >= 0, torch.Generator().manual_seed(1))
    for row, loc, row_mask in zip(indices, locs.flatten(), mask):
        chosen = row[loc]
        assert torch.equal(row_mask, (row == chosen) & (row >= 0) & (chosen >= 0))


def test_mvm_replaces_masked_cells_by_the_mask_embedding(model):
    model.train()
    model.mvm_masker = MVMMasker(mask_prob=1.0)
    seen = {}
    embed_visual = model.encoder.embed_visual
    model.encoder.embed_visual = lambda fused, valid: seen.setdefault(
        'fused', fused) is not None and embed_visual(fused, valid)
    model.vd.assign = lambda x: torch.tensor([0, 1, 0, 2, 1, 1, 3, 0])  # 2 images x 2 x 2
    try:
        feats, valid = model.encoder.grid_features(torch.randn(2, 3, 128, 128))
        tokens, vmask, extra = model.visual_step(feats, valid, None)
    finally:
        del model.encoder.embed_visual, model.vd.assign
        model.mvm_masker = MVMMasker()
    labels = extra['mvm_labels']
    masked = labels >= 0
    assert masked.any() and not masked.all()
    cells = seen['fused'].flatten(2).transpose(1, 2)  # B x N x C before position and LN
    assert torch.allclose(cells[masked], model.mask_embed.expand(int(masked.sum()), -1))
    assert not torch.allclose(cells[~masked][0], model.mask_embed)
    losses = model.extra_losses(torch.randn(2, vmask.size(1), model.hidden_size), extra)
    assert losses['loss_mvm'] > 0


def test_gate_mixes_by_softmax_weights(model):
    q = torch.randn(1, model.hidden_size, 2, 2)
    x = torch.randn(1, model.hidden_size, 2, 2)
    model.eval()
    scores = model.gate(torch.cat([q, x], 1)).softmax(1)
    out = model.gated_fusion(q, x)
    assert torch.allclose(out, q * scores[:, :1] + x * scores[:, 1:], atol=1e-6)
    assert torch.allclose(scores.sum(1), torch.ones(1, 2, 2))


def test_itm_negatives_come_from_the_replaceable_sampler(model):
    class Swap:
        def __call__(self, texts, image_ids=None, generator=None):
            return torch.tensor([1, 0, 2, 3]), torch.tensor([0, 0, 1, 1])

    seen = {}
    original = model.itm_head.loss

    def spy(feats, labels):
        seen['labels'] = labels
        return original(feats, labels)

    model.itm_sampler = Swap()
    model.itm_head.loss = spy
    tokenize = model.encoder.tokenize
    model.encoder.tokenize = lambda texts, device=None: seen.setdefault(
        'texts', list(texts)) and tokenize(texts, device)
    try:
        losses = model.loss(torch.randn(4, 3, 128, 128), samples())
    finally:
        model.itm_sampler = ITMNegativeSampler()
        del model.itm_head.loss, model.encoder.tokenize
    assert seen['labels'].tolist() == [0, 0, 1, 1]
    assert seen['texts'] == [CAPTIONS[1], CAPTIONS[0], CAPTIONS[2], CAPTIONS[3]]
    assert {'loss_mlm', 'loss_itm', 'loss_mvm'} <= set(losses)


def test_itm_sampler_avoids_same_text_and_image():
    texts = ['a', 'a', 'b', 'c']
    index, labels = ITMNegativeSampler(prob=1.0)(texts, [0, 1, 2, 3],
                                                  torch.Generator().manual_seed(0))
    assert labels.tolist() == [0, 0, 0, 0]
    for i, j in enumerate(index.tolist()):
        assert texts[j] != texts[i]


def test_padding_mask_uses_real_height_and_width():
    wide = DataSample(metainfo=dict(img_shape=(64, 256)))
    tall = DataSample(metainfo=dict(img_shape=(256, 64)))
    valid = GridVLEncoder.valid_mask(2, (256, 256), (4, 4), [wide, tall], 'cpu')
    assert valid[0, :1].all() and not valid[0, 1:].any()  # rows beyond 64 px are padding
    assert valid[1, :, :1].all() and not valid[1, :, 1:].any()  # columns beyond 64 px


def test_two_optimizers_both_step(model):
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='ParamPrefixOptimWrapperDictConstructor',
        optim_wrapper_cfg=dict(
            cnn=dict(prefixes=['encoder.backbone.'],
                     optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
            transformer=dict(optimizer=dict(type='AdamW', lr=1e-3)))))
    wrappers = constructor(model)
    assert isinstance(wrappers, OptimWrapperDict)
    cnn = {id(p) for g in wrappers['cnn'].param_groups for p in g['params']}
    rest = {id(p) for g in wrappers['transformer'].param_groups for p in g['params']}
    assert not cnn & rest
    assert id(model.encoder.backbone.layer4[0].conv1.weight) in cnn
    assert id(model.encoder.bert.embeddings.word_embeddings.weight) in rest
    model.train()
    conv = model.encoder.backbone.layer4[0].conv1.weight.detach().clone()
    word = model.encoder.bert.encoder.layer[0].attention.self.query.weight.detach().clone()
    images = torch.randint(0, 255, (4, 3, 128, 128)).float()
    model.train_step(dict(inputs=images, data_samples=samples()), wrappers)
    assert not torch.equal(conv, model.encoder.backbone.layer4[0].conv1.weight)
    assert not torch.equal(word, model.encoder.bert.encoder.layer[0].attention.self.query.weight)
    assert wrappers['cnn'].optimizer.state and wrappers['transformer'].optimizer.state


def test_constructor_rejects_ambiguous_entries():
    with pytest.raises(ValueError, match='no `prefixes`'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type='ParamPrefixOptimWrapperDictConstructor',
            optim_wrapper_cfg=dict(a=dict(optimizer=dict(type='SGD', lr=1)),
                                   b=dict(optimizer=dict(type='SGD', lr=1)))))
