"""UNINEXT's image-level mechanisms, each checked by its behaviour: prompt token maps, the
early-fusion block, VL-alignment retrieval, prompt-content denoising, the token-level
dynamic-k cost and loss, the detached IoU target, and the train / predict steps of both
tasks."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvl.models.dense_heads import UNINEXTHead, dn_positive_indices
from mmvl.models.layers import VLAlign
from mmvl.models.task_modules.assigners import DynamicKAssigner
from mmvl.models.utils.text_prompts import (category_caption, entity_token_map, masked_mean,
                                            pooled_prompt_map)
from mmvl.registry import MODELS
from mmvl.testing import demo_det_batch, get_model_cfg

NAMES = ('circle', 'square', 'triangle', 'star', 'hexagon', 'cross', 'diamond', 'crescent')


def tiny_uninext_cfg(**head):
    cfg = get_model_cfg('_base_/models/uninext_r50.py')
    cfg.backbone.update(depth=18, init_cfg=None)
    cfg.neck.in_channels = [128, 256, 512]
    cfg.encoder.num_layers = 1
    cfg.decoder.num_layers = 2
    cfg.num_queries = 20
    cfg.language_model = dict(type='TextEncoder', name='all-MiniLM-L6-v2', max_tokens=32,
                              pad_to_max=False)
    cfg.bbox_head.text_dims = 384
    cfg.bbox_head.update(head)
    cfg.dn_cfg.group_cfg.num_dn_queries = 6
    return cfg


@pytest.fixture(scope='module')
def uninext():
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_uninext_cfg())
    model.init_weights()
    return model


def joint_batch(model, training=True, expression='the red circle left of the star'):
    """Image 0: a detection prompt over 8 names; image 1: one referring expression."""
    torch.manual_seed(0)
    data = demo_det_batch(model, image_shapes=[(3, 96, 128), (3, 128, 96)], num_classes=8,
                          training=training)
    det, ref = data['data_samples']
    det.set_metainfo(dict(task='detection', text=NAMES))
    ref.set_metainfo(dict(task='grounding', text=expression))
    ref.gt_instances = ref.gt_instances[:1]
    ref.gt_instances.labels = torch.zeros_like(ref.gt_instances.labels)
    return data


# ----------------------------------------------------------------- prompts
def test_category_caption_and_token_maps(uninext):
    caption, spans = category_caption(['cat', 'hot dog', 'star'])
    assert caption == 'cat. hot dog. star'
    tokenized = uninext.language_model.tokenize([caption])
    ids = tokenized['input_ids'][0].tolist()
    token_map = entity_token_map(tokenized, spans, len(ids))
    tokenizer = uninext.language_model.tokenizer
    words = [tokenizer.convert_ids_to_tokens([ids[t] for t in token_map[e].nonzero()[:, 0]])
             for e in range(3)]
    assert words == [['cat'], ['hot', 'dog'], ['star']]  # separators and [CLS] excluded
    assert pooled_prompt_map(5).tolist() == [[True, False, False, False, False]]


def test_entity_cut_off_by_truncation_has_no_tokens_and_its_objects_are_dropped(uninext):
    long_names = [f'shape{i} thing' for i in range(20)]  # far more than 32 tokens
    data = joint_batch(uninext)
    det = data['data_samples'][0]
    det.set_metainfo(dict(text=tuple(long_names)))
    _, maps = uninext.tokenize_prompts([det])
    assert maps[0][0].any() and not maps[0][-1].any()
    det.gt_instances.labels = torch.tensor([0, 19] + [0] * (len(det.gt_instances) - 2))
    kept = uninext._drop_unprompted(det, maps[0])
    assert len(kept.gt_instances) == len(det.gt_instances) - 1
    assert 19 not in kept.gt_instances.labels.tolist()
    assert len(det.gt_instances) == len(kept.gt_instances) + 1  # the caller's copy is intact


def test_missing_prompt_is_one_clear_error(uninext):
    data = joint_batch(uninext)
    data['data_samples'][0].set_metainfo(dict(task='caption'))
    with pytest.raises(KeyError, match="metainfo must carry 'task'"):
        uninext.tokenize_prompts(data['data_samples'])


# ----------------------------------------------------------------- early fusion
def test_fusion_block_changes_both_streams(uninext):
    """The image features depend on the text after fusion, and the text on the image."""
    uninext.eval()
    data = joint_batch(uninext)
    img_feats = uninext.extract_feat(data['inputs'])
    enc_in, _ = uninext.pre_transformer(img_feats, data['data_samples'])

    def encode(samples, enc_inputs):
        prompts = uninext.encode_prompts(samples)
        return uninext.forward_encoder(**enc_inputs, text_feats=prompts['feats'],
                                       text_mask=prompts['mask']), prompts

    with torch.no_grad():
        out_a, prompts_a = encode(data['data_samples'], enc_in)
        other = [s.clone() for s in data['data_samples']]
        other[1].set_metainfo(dict(text='the small blue square above the hexagon'))
        out_b, _ = encode(other, enc_in)
        shuffled = dict(enc_in, feat=enc_in['feat'].flip(1))
        out_c, _ = encode(data['data_samples'], shuffled)
    # text -> image: another expression changes image 1's memory, not image 0's
    assert not torch.allclose(out_a['memory'][1], out_b['memory'][1])
    assert torch.allclose(out_a['memory'][0], out_b['memory'][0])
    # image -> text: other image features change the fused text
    assert not torch.allclose(out_a['memory_text'], out_c['memory_text'])
    # and the fused text replaces BERT's
    assert not torch.allclose(out_a['memory_text'], prompts_a['feats'])
    uninext.train()


# ----------------------------------------------------------------- retrieval
def test_vl_align_logits_follow_the_formula():
    torch.manual_seed(0)
    align = VLAlign(embed_dims=8, text_dims=6)
    with torch.no_grad():
        align.log_scale.fill_(0.5)
        align.bias_lang.normal_()
    queries, text = torch.randn(2, 3, 8), torch.randn(2, 4, 6)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.bool)
    logits = align(queries, text, mask)
    t = F.normalize(text, dim=-1)
    expected = (queries @ align.text_proj(t / 2).transpose(1, 2) / torch.exp(torch.tensor(0.5))
                + (t @ align.bias_lang + align.bias0)[:, None])
    assert torch.allclose(logits[0, :, :3], expected[0, :, :3], atol=1e-5)
    assert torch.allclose(logits[1, :, :2], expected[1, :, :2], atol=1e-5)
    assert (logits[0, :, 3] == -5e4).all() and (logits[1, :, 2:] == -5e4).all()
    assert torch.allclose(align.bias0, torch.tensor([-4.59512]), atol=1e-4)  # -log(99)


def test_expression_is_retrieved_by_its_pooled_fused_tokens(uninext):
    data = joint_batch(uninext)
    samples = data['data_samples']
    img_feats = uninext.extract_feat(data['inputs'])
    uninext.eval()
    with torch.no_grad():
        head_inputs = uninext.forward_transformer(img_feats, samples)
        enc_in, _ = uninext.pre_transformer(img_feats, samples)
        prompts = uninext.encode_prompts(samples)
        enc_out = uninext.forward_encoder(**enc_in, text_feats=prompts['feats'],
                                          text_mask=prompts['mask'])
    uninext.train()
    retrieval_text, retrieval_mask = head_inputs['memory_text'], head_inputs['text_mask']
    pooled = masked_mean(enc_out['memory_text'], enc_out['text_mask'])
    assert torch.allclose(retrieval_text[1, 0], pooled[1], atol=1e-5)
    assert retrieval_mask[1].tolist() == [True] + [False] * (retrieval_mask.size(1) - 1)
    # a caption keeps its fused tokens
    assert torch.equal(retrieval_mask[0], enc_out['text_mask'][0])
    assert torch.allclose(retrieval_text[0], enc_out['memory_text'][0])


def test_category_score_is_the_mean_of_its_token_logits():
    token_logits = torch.tensor([[1.0, 3.0, -2.0, 0.0]])
    entity_map = torch.tensor([[False, True, False, False], [False, True, True, False],
                               [False, False, False, False]])
    logits = UNINEXTHead.entity_logits(token_logits, entity_map)
    assert logits.tolist() == [[3.0, 0.5, -5e4]]


# ----------------------------------------------------------------- training targets
def test_dynamic_k_class_cost_averages_focal_cost_over_positive_tokens():
    assigner = DynamicKAssigner()
    scores = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 1.0, 1.0]])
    preds = InstanceData(scores=scores, bboxes=torch.zeros(2, 4))
    pmaps = torch.tensor([[True, False, True], [False, True, False]])
    gts = InstanceData(labels=torch.zeros(2, dtype=torch.long), positive_maps=pmaps)
    p = scores.sigmoid()
    focal = (0.25 * (1 - p) ** 2 * -(p + 1e-8).log()) - (0.75 * p ** 2 * -(1 - p + 1e-8).log())
    expected = torch.stack([(focal[:, 0] + focal[:, 2]) / 2, focal[:, 1]], dim=1)
    assert torch.allclose(assigner.class_cost(preds, gts), expected, atol=1e-6)


def test_denoising_positives_match_mmdets_layout(uninext):
    head = uninext.bbox_head
    gt = InstanceData(labels=torch.tensor([2, 0, 1]), bboxes=torch.rand(3, 4) * 50 + 10)
    gt.bboxes[:, 2:] += gt.bboxes[:, :2]
    dn_meta = dict(num_denoising_queries=30, num_denoising_groups=3)  # max 5 objects
    labels = head._get_dn_targets_single(gt, dict(img_shape=(96, 128)), dn_meta)[0]
    query_inds, gt_inds = dn_positive_indices(3, dn_meta)
    assert torch.equal(labels[query_inds], gt.labels[gt_inds])
    others = torch.ones(30, dtype=torch.bool)
    others[query_inds] = False
    assert (labels[others] == head.num_classes).all()  # negatives and padding


def test_denoising_content_is_the_images_prompt(uninext):
    data = joint_batch(uninext)
    samples = [s.clone() for s in data['data_samples']]
    prompts = torch.randn(2, 384)
    for sample, prompt in zip(samples, prompts):
        sample.prompt_embedding = prompt
    uninext.dn_query_generator.eval()  # no dropout
    content, _, _, dn_meta = uninext.dn_query_generator(samples)
    uninext.dn_query_generator.train()
    expected = uninext.dn_query_generator.prompt_proj.eval()(prompts)
    uninext.dn_query_generator.prompt_proj.train()
    for i, sample in enumerate(samples):
        query_inds, _ = dn_positive_indices(len(sample.gt_instances), dn_meta)
        assert torch.allclose(content[i, query_inds], expected[i].expand(len(query_inds), -1),
                              atol=1e-6)
    assert not hasattr(uninext.dn_query_generator, 'label_embedding')


def test_token_loss_ignores_padding_tokens(uninext):
    head = uninext.bbox_head
    logits = torch.tensor([[[0.3, -1.0, -5e4], [2.0, 0.5, -5e4]]], requires_grad=True)
    gt = InstanceData(positive_maps=torch.tensor([[False, True, False]]))
    targets = head.classification_targets(logits, [torch.tensor([0, 1])], [gt])
    assert targets.tolist() == [[0, 0, 0], [0, 1, 0]]
    loss = head.loss_cls(logits.flatten(0, 1), targets, avg_factor=1.0)
    real = head.loss_cls(logits[..., :2].flatten(0, 1), targets[:, :2], avg_factor=1.0)
    assert torch.isfinite(loss) and torch.allclose(loss, real)
    loss.backward()
    assert (logits.grad[..., 2] == 0).all()


def test_iou_branch_target_is_detached(uninext):
    """The IoU loss trains the IoU branch only: no gradient reaches the box branches."""
    uninext.zero_grad()
    data = joint_batch(uninext)
    losses = uninext.loss(data['inputs'], data['data_samples'])
    (losses['loss_box_iou'] + losses['d0.loss_box_iou']).backward(retain_graph=True)
    decoder_box_branches = uninext.bbox_head.reg_branches[:-1]  # [-1]: encoder proposals
    assert all(p.grad is None or not p.grad.any() for p in decoder_box_branches.parameters())
    assert any(p.grad is not None and p.grad.any()
               for p in uninext.bbox_head.box_iou_branches.parameters())
    (losses['loss_bbox']).backward()  # the box loss does reach them
    assert any(p.grad is not None and p.grad.any() for p in decoder_box_branches.parameters())
    uninext.zero_grad()


# ----------------------------------------------------------------- whole model
def test_train_step_losses_of_both_tasks_are_finite_and_reach_every_part(uninext):
    uninext.zero_grad()
    data = joint_batch(uninext)
    losses = uninext.loss(data['inputs'], data['data_samples'])
    expected = {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_box_iou', 'loss_mask', 'loss_dice',
                'd0.loss_cls', 'enc_loss_cls', 'enc_loss_bbox', 'dn_loss_cls', 'dn_loss_bbox'}
    assert expected <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for part in ('language_model', 'fusion', 'encoder', 'decoder', 'dn_query_generator'):
        grads = [p.grad for p in getattr(uninext, part).parameters() if p.requires_grad]
        assert any(g is not None and g.any() for g in grads), part
    uninext.zero_grad()


def test_predict_keeps_top100_for_detection_and_top1_for_an_expression(uninext):
    uninext.eval()
    data = joint_batch(uninext, training=False)
    with torch.no_grad():
        det, ref = uninext.predict(data['inputs'], data['data_samples'])
    uninext.train()
    assert 0 < len(det.pred_instances) <= 100  # top 100 of 20 queries x 8 names after NMS
    assert det.pred_instances.labels.max() < len(NAMES)
    assert len(ref.pred_instances) == 1 and ref.pred_instances.labels.tolist() == [0]
    assert ref.pred_instances.masks.shape[1:] == tuple(ref.metainfo['ori_shape'])
    scores = det.pred_instances.scores
    assert torch.equal(scores, scores.sort(descending=True)[0])


# ----------------------------------------------------------------- drawing
def test_prompt_visualizer_names_labels_by_each_samples_prompt(monkeypatch):
    import numpy as np
    from mmdet.structures import DetDataSample
    from mmdet.visualization import DetLocalVisualizer
    from mmvl.visualization import PromptDetLocalVisualizer
    seen = []
    monkeypatch.setattr(DetLocalVisualizer, '_draw_instances',
                        lambda self, image, instances, classes, palette:
                        seen.append((tuple(classes), palette)) or image)
    vis = PromptDetLocalVisualizer(name='prompt_vis_test')
    meta = dict(classes=('circle', 'square'), palette=[(0, 0, 255), (0, 255, 0)])
    vis.dataset_meta = meta
    for metainfo in (dict(task='grounding', text='the red circle'), dict(),
                     dict(task='detection', text=('star', 'circle', 'cross'))):
        sample = DetDataSample(metainfo=metainfo)
        sample.pred_instances = InstanceData(bboxes=torch.tensor([[1., 1, 5, 5]]),
                                             labels=torch.tensor([0]),
                                             scores=torch.tensor([0.9]))
        vis.add_datasample('x', np.zeros((8, 8, 3), np.uint8), sample, draw_gt=False)
    assert seen == [(('the red circle', ), meta['palette']), (meta['classes'], meta['palette']),
                    (('star', 'circle', 'cross'), 'random')]  # 2 colours for 3 names
    assert vis.dataset_meta is meta  # restored


# ----------------------------------------------------------------- the authors' structure
def test_mask_feature_fusion_follows_mask_head_small_conv():
    """relu(conv(P5)) -> relu(conv(P4 + up)) -> relu(conv(P3 + up)) -> relu(3x3) -> relu(3x3)."""
    from mmvl.models.layers import MaskFeatureFusion
    torch.manual_seed(0)
    fusion = MaskFeatureFusion(16, num_levels=3, mid_channels=4, out_channels=2)
    p3, p4, p5 = torch.randn(1, 16, 8, 8), torch.randn(1, 16, 4, 4), torch.randn(1, 16, 2, 2)
    convs = fusion.top_down_convs
    x = F.relu(convs[2](p5))
    x = F.relu(convs[1](p4 + F.interpolate(x, size=(4, 4), mode='nearest')))
    x = F.relu(convs[0](p3 + F.interpolate(x, size=(8, 8), mode='nearest')))
    x = F.relu(fusion.out_convs[2](F.relu(fusion.out_convs[0](x))))
    assert torch.allclose(fusion([p3, p4, p5]), x)
    assert fusion.out_convs[0].kernel_size == (3, 3) and fusion.out_convs[2].kernel_size == (3, 3)


def test_uninext_model_has_the_authors_structure(uninext):
    head = uninext.bbox_head.mask_head
    assert len(head.controllers) == 1  # one controller shared by the decoder layers
    queries = torch.randn(3, 256)
    assert torch.equal(head.kernels(queries, 0), head.kernels(queries, 1))
    assert isinstance(uninext.decoder.norm, torch.nn.Identity)  # no decoder output norm
    assert uninext.neck.convs[0].conv.bias is not None  # input projections keep their bias
    assert uninext.positional_encoding.temperature == 10000
    assert uninext.positional_encoding.offset == -0.5


def test_nms_runs_over_queries_by_best_class_and_survivors_keep_every_class():
    """UNINEXT's inference: NMS once per query (best score, best class as its group)."""
    from mmvl.models.utils import select_detections
    boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 10.5], [0, 0, 10, 10.2]])
    scores = torch.tensor([[0.9, 0.5], [0.3, 0.8], [0.85, 0.1]])
    nms = dict(type='nms', iou_threshold=0.7)
    kept, labels, queries = select_detections(scores, boxes, max_per_img=10, nms_cfg=nms)
    # query 2 (best class 0) is suppressed by query 0; query 1's best class is 1, so it
    # survives, and both survivors keep both class scores
    assert sorted(zip(queries.tolist(), labels.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert kept.tolist() == sorted(kept.tolist(), reverse=True)
    kept, labels, queries = select_detections(scores, boxes, max_per_img=2, nms_cfg=nms)
    assert list(zip(queries.tolist(), labels.tolist())) == [(0, 0), (1, 1)]  # top-k after


@pytest.mark.parametrize('detach', [False, True])
def test_decoder_losses_train_the_selected_proposals_unless_detached(detach):
    """The authors keep the gradient from decoder layer 0 into the encoder proposals."""
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_uninext_cfg())
    model.detach_proposals = detach
    model.init_weights()
    data = joint_batch(model)
    losses = model.loss(data['inputs'], data['data_samples'])
    losses['d0.loss_bbox'].backward()
    proposal_branch = model.bbox_head.reg_branches[-1]
    reached = any(p.grad is not None and p.grad.any() for p in proposal_branch.parameters())
    assert reached != detach


def test_encoder_proposals_are_scored_at_every_position_or_only_the_selected(uninext):
    data = joint_batch(uninext)
    seen = {}
    head = uninext.bbox_head
    original = head.loss_by_feat_single

    def spy(cls_scores, *args, **kwargs):
        seen['num'] = cls_scores.size(1)
        return original(cls_scores, *args, **kwargs)

    head.loss_by_feat_single = spy
    try:
        uninext.loss(data['inputs'], data['data_samples'])
        num_all = seen['num']
        uninext.encoder_loss_on = 'topk'
        uninext.loss(data['inputs'], data['data_samples'])
        num_topk = seen['num']
    finally:
        uninext.encoder_loss_on = 'all'
        del head.loss_by_feat_single
    assert num_topk == uninext.num_queries and num_all > num_topk


def test_denoising_content_is_pooled_before_fusion(uninext):
    """The authors pool BERT's output for the FeatureResizer, not the fused text."""
    data = joint_batch(uninext)
    captured = {}
    generator = uninext.dn_query_generator
    original = type(generator).__call__

    def spy(self, samples):
        captured['prompts'] = torch.stack([s.prompt_embedding for s in samples])
        return original(self, samples)

    type(generator).__call__ = spy
    uninext.language_model.eval()  # no dropout: both encodings must agree
    try:
        uninext.loss(data['inputs'], data['data_samples'])
    finally:
        type(generator).__call__ = original
    with torch.no_grad():
        prompts = uninext.encode_prompts(data['data_samples'])
    uninext.language_model.train()
    expected = masked_mean(prompts['feats'], prompts['mask'])
    assert torch.allclose(captured['prompts'].detach(), expected, atol=1e-5)


def test_text_width_mismatch_is_one_clear_error():
    init_default_scope('mmvl')
    cfg = tiny_uninext_cfg()
    cfg.bbox_head.text_dims = 768
    with pytest.raises(ValueError, match='bbox_head.text_dims=768 but the text encoder'):
        MODELS.build(cfg)
