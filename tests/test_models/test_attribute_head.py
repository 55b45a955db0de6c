"""The bottom-up-attention attribute branch of the rich-region VQA detector: its targets, its
loss (hand-computed), its input (fc7 + class embedding), positive-RoI-only training, the BUTD
region selection, and the detector's train / predict / extract steps."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.task_modules import AssignResult, SamplingResult
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmvl.models.roi_heads import select_butd_regions
from mmvl.registry import MODELS
from mmvl.testing import demo_det_batch, get_model_cfg

CONFIG = 'rich_region_vqa/faster-rcnn-attr_r18_fpn_1xb4-800it_toyworld-vg.py'


def build_head(**kwargs):
    init_default_scope('mmvl')
    cfg = dict(type='mmvl.AttributeBBoxHead', _scope_='mmdet', in_channels=4, roi_feat_size=2,
               fc_out_channels=6,
               num_classes=3, num_attributes=5, cls_embed_dim=3, attr_hidden_channels=7)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_attribute_targets_shift_and_no_attribute_class():
    labels = torch.tensor([[0, 2, -1], [-1, -1, -1], [4, -1, -1]])
    head = build_head()
    assert head.attribute_targets(labels).tolist() == [[1, 3, -1], [0, -1, -1], [5, -1, -1]]
    head = build_head(no_attribute_target=False)
    assert head.attribute_targets(labels).tolist() == [[1, 3, -1], [-1, -1, -1], [5, -1, -1]]
    assert head.fc_attr.out_features == 6  # 5 attributes + "no attribute"


@pytest.mark.parametrize('no_attribute_target', [True, False])
def test_attribute_loss_matches_hand_computation(no_attribute_target):
    head = build_head(no_attribute_target=no_attribute_target, loss_attr_weight=0.5)
    logits = torch.randn(3, 6)
    labels = torch.tensor([[0, 2, -1], [-1, -1, -1], [4, -1, -1]])
    ce = lambda i, t: F.cross_entropy(logits[i:i + 1], torch.tensor([t]))  # noqa: E731
    row0 = (ce(0, 1) + ce(0, 3)) / 2  # two attributes share the RoI's unit weight
    if no_attribute_target:
        expected = 0.5 * (row0 + ce(1, 0) + ce(2, 5)) / 3
    else:
        expected = 0.5 * (row0 + ce(2, 5)) / 2
    loss = head.loss_attributes(logits, labels)
    torch.testing.assert_close(loss, expected)


def test_attribute_loss_without_targets_is_zero_with_gradient_path():
    head = build_head(no_attribute_target=False)
    logits = torch.randn(2, 6, requires_grad=True)
    loss = head.loss_attributes(logits, torch.full((2, 4), -1))
    assert loss.item() == 0.
    loss.backward()
    assert logits.grad is not None


def test_attribute_branch_reads_fc7_and_class_embedding():
    head = build_head()
    fc7 = torch.randn(2, 6)
    labels = torch.tensor([0, 1])
    expected = head.fc_attr(F.relu(head.attr_fc(torch.cat([fc7, head.cls_embed(labels)], 1))))
    torch.testing.assert_close(head.forward_attributes(fc7, labels), expected)
    # another class changes the prediction for the same feature
    other = head.forward_attributes(fc7, torch.tensor([2, 1]))
    assert not torch.allclose(other[0], expected[0]) and torch.allclose(other[1], expected[1])
    # gradients reach only the embeddings of the classes used
    head.zero_grad()
    head.forward_attributes(fc7, labels).sum().backward()
    grad = head.cls_embed.weight.grad.abs().sum(1)
    assert grad[0] > 0 and grad[1] > 0 and grad[2] == 0 and grad[3] == 0


def test_forward_equals_shared_then_predictors():
    head = build_head()
    x = torch.randn(5, 4, 2, 2)
    cls_score, bbox_pred = head(x)
    fc7 = head.forward_shared(x)
    assert fc7.shape == (5, 6)
    torch.testing.assert_close(cls_score, head.fc_cls(fc7))
    torch.testing.assert_close(bbox_pred, head.fc_reg(fc7))


@pytest.fixture
def detector():
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(get_model_cfg(CONFIG))
    model.init_weights()
    return model


def test_attribute_loss_uses_positive_rois_only(detector):
    roi_head = detector.roi_head
    priors = torch.tensor([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 40, 40],
                           [70, 70, 90, 90.]])
    gt = InstanceData(bboxes=torch.tensor([[0, 0, 10, 10], [20, 20, 40, 40.]]),
                      labels=torch.tensor([3, 5]),
                      attr_labels=torch.tensor([[1, 9, -1], [4, -1, -1]]))
    assign = AssignResult(2, gt_inds=torch.tensor([1, 0, 2, 0]),
                          max_overlaps=torch.tensor([1., 0., 1., 0.]),
                          labels=torch.tensor([3, -1, 5, -1]))
    res = SamplingResult(pos_inds=torch.tensor([0, 2]), neg_inds=torch.tensor([1, 3]),
                         priors=priors, gt_bboxes=gt.bboxes, assign_result=assign,
                         gt_flags=torch.zeros(4, dtype=torch.uint8))
    # mmdet's sampling result orders its priors positives first
    fc7 = torch.randn(4, 256, requires_grad=True)
    loss = roi_head.attribute_loss(fc7, [res], [gt])
    loss.backward()
    assert fc7.grad[:2].abs().sum() > 0 and fc7.grad[2:].abs().sum() == 0
    head = roi_head.bbox_head
    expected = head.loss_attributes(
        head.forward_attributes(fc7[:2], torch.tensor([3, 5])), gt.attr_labels)
    torch.testing.assert_close(loss, expected)


def test_select_butd_regions_threshold_nms_and_bounds():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 60, 60],
                          [80, 80, 90, 90.]])
    probs = torch.tensor([[0.9, 0.0], [0.8, 0.1], [0.1, 0.3], [0.15, 0.05]])
    # class 0: box 1 is suppressed by box 0 (IoU 0.81); class 1: box 1 survives with 0.1
    keep = select_butd_regions(boxes, probs, conf_thr=0.2, nms_thr=0.3, min_boxes=1)
    assert keep.tolist() == [0, 2]
    # fewer than min_boxes above the threshold: the most confident ones fill up
    keep = select_butd_regions(boxes, probs, conf_thr=0.2, nms_thr=0.3, min_boxes=3)
    assert keep.tolist() == [0, 2, 3]
    keep = select_butd_regions(boxes, probs, conf_thr=0.0, nms_thr=0.3, min_boxes=1,
                               max_boxes=2)
    assert keep.tolist() == [0, 2]
    assert select_butd_regions(boxes[:0], probs[:0]).numel() == 0


def test_detector_train_predict_and_extract(detector):
    batch = demo_det_batch(detector, num_classes=8, with_mask=False)
    for sample in batch['data_samples']:
        num = len(sample.gt_instances)
        sample.gt_instances.attr_labels = torch.randint(-1, 11, (num, 4))
    losses = detector(**batch, mode='loss')
    assert losses['loss_attr'].item() > 0
    detector.eval()
    batch = demo_det_batch(detector, num_classes=8, with_mask=False, training=False)
    with torch.no_grad():
        preds = detector(**batch, mode='predict')
        feats = detector.extract_feat(batch['inputs'])
        proposals = [r.bboxes for r in detector.rpn_head.predict(
            feats, batch['data_samples'], rescale=False)]
        regions = detector.roi_head.extract_regions(feats, proposals, min_boxes=10,
                                                    max_boxes=100)
    for pred in preds:
        scores = pred.pred_instances.attr_scores
        assert scores.shape == (len(pred.pred_instances), 12)
        torch.testing.assert_close(scores.sum(-1), torch.ones(len(scores)))
    for region, props in zip(regions, proposals):
        k = len(region['boxes'])
        assert min(10, len(props)) <= k <= 100
        assert region['features'].shape == (k, 256)
        assert region['attr_probs'].shape == (k, 12)
        assert (region['objects'] < 8).all()
