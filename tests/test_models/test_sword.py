"""SWORD's mechanisms, each checked by its behaviour: the stop-gradient, the object queue,
positive/negative selection, the contrastive loss, the one-to-many assignment, the IoU-aware
score, the dynamic mask head, and the whole model's train and predict steps."""
import math

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvl.models.dense_heads.sword_head import StopGradLinear
from mmvl.models.layers import DynamicMaskHead, UniversalObjectQueue
from mmvl.models.losses import ObjectCenterContrastLoss, select_object_background
from mmvl.models.utils import iou_aware_scores, select_detections
from mmvl.registry import MODELS
from mmvl.testing import demo_det_batch, get_model_cfg

CONFIG = 'sword/sword_r18_1xb4-1000it_toyworld-base2novel.py'


def tiny_sword_cfg(**head):
    cfg = get_model_cfg(CONFIG)
    cfg.num_queries = 20
    cfg.dn_cfg.group_cfg.num_dn_queries = 6
    cfg.bbox_head.update(head)
    return cfg


@pytest.fixture
def sword():
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_sword_cfg())
    model.init_weights()
    return model


def batch(model, training=True):
    return demo_det_batch(model, num_classes=3, training=training)  # labels collapse to 0


# ----------------------------------------------------------------- stop-gradient
def decoder_grad_norm(model):
    grads = [p.grad.abs().sum() for p in model.decoder.parameters() if p.grad is not None]
    return float(sum(grads)) if grads else 0.0


@pytest.mark.parametrize('stop_grad', [True, False])
def test_stop_gradient_blocks_classification_gradient_into_decoder(stop_grad):
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_sword_cfg(stop_grad_cls=stop_grad))
    model.init_weights()
    data = batch(model)
    losses = model.loss(data['inputs'], data['data_samples'])
    # the decoder's classification losses, of matching and denoising queries (not the
    # encoder's proposal classifier, which reads live features)
    cls_loss = (losses['loss_cls'] + losses['d0.loss_cls'] + losses['dn_loss_cls'] +
                losses['d0.dn_loss_cls'])
    cls_loss.backward()
    assert model.bbox_head.cls_branches[0].weight.grad.abs().sum() > 0  # the classifier learns
    if stop_grad:
        assert decoder_grad_norm(model) == 0.0
    else:
        assert decoder_grad_norm(model) > 0.0


def test_stop_gradient_only_on_decoder_class_branches(sword):
    head = sword.bbox_head
    num_dec = sword.decoder.num_layers
    assert all(isinstance(head.cls_branches[i], StopGradLinear) for i in range(num_dec))
    # the encoder's proposal classifier reads live features
    assert not isinstance(head.cls_branches[num_dec], StopGradLinear)
    # same checkpoint keys as a plain Linear
    assert set(head.cls_branches[0].state_dict()) == {'weight', 'bias'}


def test_box_loss_still_reaches_decoder(sword):
    data = batch(sword)
    losses = sword.loss(data['inputs'], data['data_samples'])
    (losses['loss_bbox'] + losses['loss_mask'] + losses['loss_box_iou']).backward()
    assert decoder_grad_norm(sword) > 0.0


# ----------------------------------------------------------------- object queue
def test_queue_is_fifo_with_configured_length():
    queue = UniversalObjectQueue(length=4, embed_dims=2)
    assert queue.is_empty
    vecs = torch.eye(2).repeat(3, 1) * torch.arange(1, 7)[:, None]  # 6 distinct directions
    queue.enqueue(vecs[:3])
    assert len(queue) == 3
    queue.enqueue(vecs[3:])
    assert len(queue) == 4  # never longer than configured
    expected = torch.nn.functional.normalize(vecs[2:], dim=1)  # the two oldest evicted
    assert torch.allclose(queue.contents(), expected)


def test_queue_keeps_newest_when_batch_exceeds_length_and_is_checkpointed():
    queue = UniversalObjectQueue(length=2, embed_dims=3)
    vecs = torch.tensor([[1., 0, 0], [0, 1, 0], [0, 0, 1]])
    queue.enqueue(vecs)
    assert torch.allclose(queue.contents(), vecs[1:])
    state = queue.state_dict()
    assert {'embeddings', 'ptr', 'num_filled'} <= set(state)
    restored = UniversalObjectQueue(length=2, embed_dims=3)
    restored.load_state_dict(state)
    assert torch.allclose(restored.contents(), vecs[1:])


def test_queue_center_is_normalised_mean_and_stops_gradient():
    queue = UniversalObjectQueue(length=8, embed_dims=2)
    x = torch.tensor([[1., 0.], [0., 1.]], requires_grad=True)
    queue.enqueue(x)
    center = queue.center()
    assert torch.allclose(center, torch.tensor([1., 1.]) / math.sqrt(2))
    assert not center.requires_grad
    with pytest.raises(RuntimeError, match='empty'):
        UniversalObjectQueue(length=2, embed_dims=2).center()


# ----------------------------------------------------------------- selection and loss
def test_positive_negative_selection_rule():
    max_ious = torch.tensor([0.9, 0.75, 0.5, 0.1, 0.1, 0.1, 0.2])
    assigned = torch.tensor([True, False, False, False, False, False, True])
    scores = torch.tensor([0.9, 0.2, 0.1, 0.05, 0.8, 0.2, 0.1])
    pos, neg = select_object_background(
        max_ious, assigned, scores, pos_iou_thr=0.7, neg_iou_thr=0.3, neg_score_thr=0.3,
        max_negatives=1)
    # assigned (0, 6) or IoU >= 0.7 (1)
    assert pos.tolist() == [True, True, False, False, False, False, True]
    # low IoU and low objectness: 3 and 5; query 4 looks like an (unlabelled) object and is
    # spared; query 2 overlaps a ground truth too much; at most 1: the lowest score wins
    assert neg.tolist() == [False, False, False, True, False, False, False]
    _, neg_all = select_object_background(max_ious, assigned, scores, max_negatives=10)
    assert neg_all.nonzero().flatten().tolist() == [3, 5]


def test_contrastive_loss_value_and_direction():
    loss_fn = ObjectCenterContrastLoss(temperature=0.5)
    center = torch.tensor([1., 0.])
    pos = torch.tensor([[1., 0.]])
    neg = torch.tensor([[0., 1.], [-1., 0.]], requires_grad=True)
    loss = loss_fn(pos, neg, center)
    expected = -math.log(math.exp(2) / (math.exp(2) + math.exp(0) + math.exp(-2)))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    # descending the gradient moves the negative at (0, 1) away from the centre (1, 0)
    assert neg.grad[0, 0] > 0
    # moving the negatives onto the centre raises the loss
    near = loss_fn(pos, torch.tensor([[1., 0.1], [1., -0.1]]), center)
    assert near > loss


# ----------------------------------------------------------------- assignment
def test_one_to_many_regression_vs_one_to_one_classifier(sword):
    head = sword.bbox_head
    # 6 queries around one object; Hungarian gives it 1 query, dynamic k several
    gt = InstanceData(bboxes=torch.tensor([[40., 40., 100., 100.]]), labels=torch.tensor([0]))
    boxes = torch.tensor([[70, 70, 60, 60], [71, 70, 58, 60], [69, 71, 60, 58],
                          [70, 69, 62, 61], [20, 20, 10, 10], [140, 140, 10, 10]]) / 160.
    scores = torch.zeros(6, 1)
    cls_inds, reg_inds = head.assign(scores, boxes, gt, dict(img_shape=(160, 160)))
    assert int((cls_inds > 0).sum()) == 1
    assert int((reg_inds > 0).sum()) >= 3
    assert reg_inds[4] == 0 and reg_inds[5] == 0


# ----------------------------------------------------------------- scoring and NMS
def test_iou_aware_score_forms():
    cls = torch.tensor([[0.64], [0.25]])
    box_iou, mask_iou = torch.tensor([0.25, 1.0]), torch.tensor([1.0, 0.64])
    geo = iou_aware_scores(cls, [box_iou], form='geometric')
    assert torch.allclose(geo[:, 0], torch.tensor([0.4, 0.5]))  # sqrt(cls * IoU)
    three = iou_aware_scores(cls, [box_iou, mask_iou], form='geometric')
    assert torch.allclose(three[:, 0], (cls[:, 0] * box_iou * mask_iou) ** (1 / 3))
    assert torch.equal(iou_aware_scores(cls, [box_iou], form='class'), cls)
    with pytest.raises(ValueError, match='unknown score form'):
        iou_aware_scores(cls, [box_iou], form='mean')


def test_select_detections_nms_then_topk():
    boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 11], [20, 20, 30, 30], [40, 40, 50, 50]])
    scores = torch.tensor([[0.9], [0.8], [0.7], [0.1]])
    kept, labels, idx = select_detections(scores, boxes, max_per_img=2,
                                          nms_cfg=dict(type='nms', iou_threshold=0.7))
    assert idx.tolist() == [0, 2]  # the duplicate 1 is suppressed, 3 is cut by top-k
    assert torch.allclose(kept, torch.tensor([0.9, 0.7]))
    _, _, idx = select_detections(scores, boxes, max_per_img=4)
    assert idx.tolist() == [0, 1, 2, 3]


# ----------------------------------------------------------------- dynamic mask head
def test_dynamic_mask_head_parameter_count_and_relative_coordinates():
    head = DynamicMaskHead(embed_dims=16, num_pred_layer=1, channels=8, num_layers=3,
                           feat_stride=8, out_stride=8)
    assert head.num_params == 169  # UNINEXT's (8 + 2) * 8 + 8 + 8 * 8 + 8 + 8 + 1
    # a network that outputs the relative x coordinate: pass channel 8 (rel x) through
    kernels = torch.zeros(1, head.num_params)
    w0 = torch.zeros(8, 10)
    w0[0, 8] = 1.0  # layer 0, out channel 0 <- rel x
    w1 = torch.zeros(8, 8)
    w1[0, 0] = 1.0
    w2 = torch.zeros(1, 8)
    w2[0, 0] = 1.0
    kernels[0, :80], kernels[0, 80:144], kernels[0, 144:152] = w0.flatten(), w1.flatten(), \
        w2.flatten()
    embed = torch.zeros(8, 4, 6)
    center = torch.tensor([[20., 12.]])  # in input pixels; cell centres are at x = 4, 12, ...
    out = head(embed, kernels, center)
    assert out.shape == (1, 4, 6)
    # ReLU keeps positive offsets: zero left of the centre, x - 20 right of it, on every row
    assert torch.allclose(out[0], torch.tensor([0., 0., 0., 8., 16., 24.]).expand(4, 6))
    head.rel_coord_scale = 8.0  # normalised coordinates divide the offsets
    assert torch.allclose(head(embed, kernels, center)[0, 0], torch.tensor([0, 0, 0, 1., 2, 3]))


def test_dynamic_mask_head_upsamples_to_stride_4():
    head = DynamicMaskHead(embed_dims=16, num_pred_layer=2)
    feats = [torch.randn(2, 16, 10, 12), torch.randn(2, 16, 5, 6), torch.randn(2, 16, 3, 3)]
    embed = head.pixel_embedding(feats)
    assert embed.shape == (2, 8, 10, 12)
    kernels = head.kernels(torch.randn(3, 16), layer_id=1)
    assert head(embed[0], kernels, torch.rand(3, 2) * 80).shape == (3, 20, 24)
    assert head(embed[0], kernels[:0], torch.rand(0, 2)).shape == (0, 20, 24)  # no query


# ----------------------------------------------------------------- the whole model
def test_loss_has_every_mechanism_and_queue_fills(sword):
    data = batch(sword)
    losses = sword.loss(data['inputs'], data['data_samples'])
    for key in ('loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'loss_dice', 'loss_box_iou',
                'loss_mask_iou', 'loss_contrast', 'd0.loss_mask', 'enc_loss_cls', 'dn_loss_cls'):
        assert key in losses and torch.isfinite(losses[key]), key
    num_objects = sum(len(s.gt_instances) for s in data['data_samples'])
    assert len(sword.bbox_head.object_queue) == num_objects  # one-to-one matched queries


def test_class_agnostic_training_collapses_labels_on_copies(sword, monkeypatch):
    data = demo_det_batch(sword, num_classes=5)
    before = [s.gt_instances.labels.clone() for s in data['data_samples']]
    assert any(labels.max() > 0 for labels in before)
    seen = []
    original = type(sword.bbox_head).loss

    def spy(head, *args, batch_data_samples, **kwargs):
        seen.extend(s.gt_instances.labels for s in batch_data_samples)
        return original(head, *args, batch_data_samples=batch_data_samples, **kwargs)

    monkeypatch.setattr(type(sword.bbox_head), 'loss', spy)
    sword.loss(data['inputs'], data['data_samples'])  # a label >= 1 would break the DN queries
    assert seen and all(int(labels.max()) == 0 for labels in seen)  # the head sees one class
    for labels, sample in zip(before, data['data_samples']):  # the caller's are untouched
        assert torch.equal(labels, sample.gt_instances.labels)


def test_predict_returns_masks_at_original_size(sword):
    sword.eval()
    data = batch(sword, training=False)
    with torch.no_grad():
        results = sword.predict(data['inputs'], data['data_samples'])
    for result in results:
        pred = result.pred_instances
        h, w = result.ori_shape
        assert pred.masks.shape[1:] == (h, w) and pred.masks.dtype == torch.bool
        assert len(pred) <= 20 and (pred.labels == 0).all()
        assert (pred.scores[:-1] >= pred.scores[1:]).all()


def test_predict_with_nothing_above_the_score_threshold(sword):
    sword.eval()
    sword.bbox_head.test_cfg['score_thr'] = 1.0
    data = batch(sword, training=False)
    with torch.no_grad():
        results = sword.predict(data['inputs'], data['data_samples'])
    pred = results[0].pred_instances
    assert len(pred) == 0 and pred.masks.shape == (0, *results[0].ori_shape)


def test_ablation_switches_remove_their_mechanism():
    init_default_scope('mmvl')
    cfg = tiny_sword_cfg(contrast=None, loss_mask_iou=None)
    cfg.test_cfg.iou_terms = ('box', )
    model = MODELS.build(cfg)
    data = batch(model)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert 'loss_contrast' not in losses and 'loss_mask_iou' not in losses
    assert not hasattr(model.bbox_head, 'object_queue')
    with pytest.raises(ValueError, match='cls_assignment'):
        MODELS.build(tiny_sword_cfg(cls_assignment='many'))


# ----------------------------------------------------------------- review additions
def test_box_iou_targets_are_ious_with_assigned_objects(sword, monkeypatch):
    from mmdet.structures.bbox import bbox_overlaps
    head = sword.bbox_head
    calls = []
    monkeypatch.setattr(head.loss_box_iou, 'forward',
                        lambda pred, target, avg_factor: calls.append(target) or pred.sum() * 0)
    assigned = []
    original = head.assign

    def spy(cls_score, bbox_pred, gt_instances, img_meta):
        result = original(cls_score, bbox_pred, gt_instances, img_meta)
        assigned.append((bbox_pred.detach(), gt_instances, img_meta, result[1]))
        return result

    monkeypatch.setattr(head, 'assign', spy)
    data = batch(sword)
    sword.loss(data['inputs'], data['data_samples'])
    num_imgs = len(data['data_samples'])
    # the last decoder layer's calls: one assignment per image, then one loss call
    expected = []
    for bbox_pred, gt, meta, reg_inds in assigned[-num_imgs:]:
        h, w = meta['img_shape']
        q = (reg_inds > 0).nonzero(as_tuple=True)[0]
        boxes = bbox_pred[q].clone()
        xyxy = torch.cat([boxes[:, :2] - boxes[:, 2:] / 2, boxes[:, :2] + boxes[:, 2:] / 2], 1)
        xyxy = xyxy * torch.tensor([w, h, w, h])
        expected.append(bbox_overlaps(xyxy, gt.bboxes[reg_inds[q] - 1], is_aligned=True))
    assert torch.allclose(calls[-1][:, 0], torch.cat(expected), atol=1e-5)
    assert (calls[-1] > 0).any()


def test_predict_ranks_by_geometric_mean_of_class_and_ious(sword):
    head = sword.bbox_head
    head.test_cfg.update(nms=None, max_per_img=3)
    logit = torch.logit
    cls = logit(torch.tensor([[0.9], [0.5], [0.6]]))
    box_iou = logit(torch.tensor([0.1, 0.9, 0.8]))
    mask_iou = logit(torch.tensor([0.1, 0.9, 0.5]))
    boxes = torch.tensor([[0.3, 0.3, 0.2, 0.2]]).repeat(3, 1)
    meta = dict(img_shape=(64, 64), ori_shape=(64, 64), batch_input_shape=(64, 64),
                scale_factor=(1.0, 1.0))
    result = head._predict_single(
        cls, boxes, box_iou, mask_iou, torch.zeros(3, head.mask_head.num_params),
        torch.full((3, 2), 0.3), torch.zeros(8, 8, 8), meta, rescale=True)
    expected = torch.tensor([0.5 * 0.9 * 0.9, 0.6 * 0.8 * 0.5, 0.9 * 0.1 * 0.1]) ** (1 / 3)
    assert torch.allclose(result.scores, expected, atol=1e-5)  # query 0 (class 0.9) is last
    assert result.masks.shape == (3, 64, 64)


def test_image_without_objects_gives_finite_losses_and_no_queue_entries(sword):
    data = batch(sword)
    empty = data['data_samples'][0].gt_instances[:0]
    data['data_samples'][0].gt_instances = empty
    losses = sword.loss(data['inputs'], data['data_samples'])
    assert all(torch.isfinite(v) for v in losses.values())
    num_objects = len(data['data_samples'][1].gt_instances)
    assert len(sword.bbox_head.object_queue) == num_objects
    data['data_samples'][1].gt_instances = data['data_samples'][1].gt_instances[:0]
    losses = sword.loss(data['inputs'], data['data_samples'])  # no object in the batch
    assert losses['loss_mask'] == 0 and losses['loss_contrast'] == 0
    assert len(sword.bbox_head.object_queue) == num_objects  # nothing pushed
    sum(losses.values()).backward()  # the zero losses keep a graph


def test_gt_masks_sampled_at_output_stride_cell_centres(sword):
    from mmdet.structures.mask import BitmapMasks
    head = sword.bbox_head
    mask = torch.zeros(1, 10, 12, dtype=torch.uint8)
    mask[0, 2, 6] = 1  # the centre pixel (offset 2) of output cell (0, 1) at stride 4
    mask[0, 3, 3] = 1  # off-centre: not sampled
    gt = InstanceData(masks=BitmapMasks(mask.numpy(), 10, 12))
    sampled = head._gt_masks_at_output_stride(gt, (16, 16), torch.zeros(1))
    assert sampled.shape == (1, 4, 4)  # padded to the batch, then every 4th pixel from 2
    assert sampled[0].nonzero().tolist() == [[0, 1]]


def test_masks_cropped_from_padding_and_rescaled_to_original(sword):
    head = sword.bbox_head
    # stride-4 logits of a 32 x 48 padded batch; the image is 24 x 40, the original 48 x 80
    logits = torch.full((1, 8, 12), -10.0)
    logits[0, :, :5] = 10.0  # left 20 px of the input image
    meta = dict(img_shape=(24, 40), ori_shape=(48, 80), batch_input_shape=(32, 48))
    probs = head._masks_in_image(logits, meta, rescale=True)
    assert probs.shape == (1, 48, 80)
    on = (probs[0] > 0.5).float().mean(0)
    assert on[:36].min() == 1 and on[44:].max() == 0  # the left ~40 of 80 original columns
    assert head._masks_in_image(logits, meta, rescale=False).shape == (1, 24, 40)


def test_contrast_is_wired_to_assignments_and_configured_queue(sword, monkeypatch):
    import mmvl.models.dense_heads.sword_head as sword_head
    head = sword.bbox_head
    assert head.object_queue.length == tiny_sword_cfg().bbox_head.contrast.queue_length
    seen = []

    def spy(max_ious, assigned, scores, **kwargs):
        seen.append((max_ious, assigned, scores, kwargs))
        return select_object_background(max_ious, assigned, scores, **kwargs)

    monkeypatch.setattr(sword_head, 'select_object_background', spy)
    data = batch(sword)
    sword.loss(data['inputs'], data['data_samples'])
    assert len(seen) == len(data['data_samples'])  # once per image, last layer only
    for max_ious, assigned, scores, kwargs in seen:
        assert assigned.any() and (max_ious[assigned] > 0).all()  # IoUs in the pixel frame
        assert ((scores >= 0) & (scores <= 1)).all() and not scores.requires_grad
        assert kwargs['pos_iou_thr'] == head.contrast_cfg['pos_iou_thr']


def test_plain_hungarian_and_shared_assignment_modes():
    init_default_scope('mmvl')
    cfg = tiny_sword_cfg()
    cfg.train_cfg.reg_assigner = None
    head = MODELS.build(cfg).bbox_head
    gt = InstanceData(bboxes=torch.tensor([[40., 40., 100., 100.]]), labels=torch.tensor([0]))
    boxes = torch.tensor([[70, 70, 60, 60], [71, 70, 58, 60], [20, 20, 10, 10]]) / 160.
    one2one, reg = head.assign(torch.zeros(3, 1), boxes, gt, dict(img_shape=(160, 160)))
    assert torch.equal(one2one, reg) and int((reg > 0).sum()) == 1
    cfg = tiny_sword_cfg(cls_assignment='shared')
    cfg.train_cfg.reg_assigner = None
    with pytest.raises(ValueError, match='reg_assigner'):
        MODELS.build(cfg)


def test_shared_assignment_still_queues_one_to_one_matches():
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(tiny_sword_cfg(cls_assignment='shared'))
    data = batch(model)
    model.loss(data['inputs'], data['data_samples'])
    num_objects = sum(len(s.gt_instances) for s in data['data_samples'])
    assert len(model.bbox_head.object_queue) == num_objects


@pytest.mark.parametrize('head, match', [
    (dict(loss_mask_iou=None), 'mask-IoU branch is off'),
    (dict(contrast=dict(queue_length=8)), 'exactly the keys'),
])
def test_bad_head_config_fails_at_construction(head, match):
    init_default_scope('mmvl')
    cfg = tiny_sword_cfg(**head)
    if 'contrast' in head:
        cfg.bbox_head.contrast = head['contrast']
    with pytest.raises(ValueError, match=match):
        MODELS.build(cfg)


def test_only_last_layer_masks_still_gives_every_parameter_a_gradient():
    init_default_scope('mmvl')
    model = MODELS.build(tiny_sword_cfg(mask_loss_layers='last'))
    data = batch(model)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert 'd0.loss_mask' not in losses and 'loss_mask' in losses
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing  # DDP would need find_unused_parameters otherwise


def test_visualizer_names_predictions_object_and_keeps_gt_names(monkeypatch):
    import numpy as np
    from mmdet.structures import DetDataSample
    from mmdet.visualization import DetLocalVisualizer
    from mmvl.visualization import ClassAgnosticDetLocalVisualizer
    seen = []
    monkeypatch.setattr(DetLocalVisualizer, '_draw_instances',
                        lambda self, image, instances, classes, palette:
                        seen.append(('scores' in instances, classes)) or image)
    vis = ClassAgnosticDetLocalVisualizer(name='vis_test')
    vis.dataset_meta = dict(classes=('circle', 'square'), palette=[(0, 0, 255), (0, 255, 0)])
    sample = DetDataSample()
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[1., 1, 5, 5]]),
                                       labels=torch.tensor([1]))
    sample.pred_instances = InstanceData(bboxes=torch.tensor([[1., 1, 5, 5]]),
                                         labels=torch.tensor([0]), scores=torch.tensor([0.9]))
    vis.add_datasample('x', np.zeros((8, 8, 3), np.uint8), sample, draw_gt=True)
    assert (False, ('circle', 'square')) in seen and (True, ['object']) in seen
