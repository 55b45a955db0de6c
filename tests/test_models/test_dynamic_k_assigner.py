# Copyright (c) mmvl contributors. All rights reserved.
"""Tests of DynamicKAssigner on hand-built boxes whose assignment is computed by hand.

Unless a test says otherwise the image is 320 x 320, so the default centre radius is
2.5 / 32 * 320 = 25 px in x and y. With all logits equal, the focal cost is the same for
every query, and the ranking of a GT's queries is set by GIoU (and the penalties).
"""
import pytest
import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData

from mmvl.models.task_modules.assigners import DynamicKAssigner
from mmvl.registry import TASK_UTILS

IMG_META = dict(img_shape=(320, 320))


def _instances(bboxes, scores=None, labels=None):
    """Build pred (with ``scores``) or GT (with ``labels``) instances."""
    data = dict(bboxes=torch.tensor(bboxes, dtype=torch.float32).reshape(-1, 4))
    if scores is not None:
        data['scores'] = torch.tensor(scores, dtype=torch.float32).reshape(len(scores), -1)
    if labels is not None:
        data['labels'] = torch.tensor(labels, dtype=torch.long)
    return InstanceData(**data)


def _assign(pred_bboxes, logits, gt_bboxes, gt_labels, img_meta=IMG_META, **cfg):
    assigner = DynamicKAssigner(**cfg)
    preds = _instances(pred_bboxes, scores=logits)
    gts = _instances(gt_bboxes, labels=gt_labels)
    return assigner.assign(preds, gts, img_meta=img_meta)


def test_build_from_registry():
    assigner = TASK_UTILS.build(dict(type='DynamicKAssigner'))
    assert isinstance(assigner, DynamicKAssigner)
    assert assigner.topk_iou == 10
    assert assigner.center_radius == pytest.approx(2.5 / 32)
    assert assigner.cls_cost.weight == 1.0 and assigner.iou_cost.weight == 3.0
    custom = TASK_UTILS.build(dict(type='DynamicKAssigner', iou_weight=2.0, topk_iou=5))
    assert custom.iou_cost.weight == 2.0 and custom.topk_iou == 5


def test_one_gt_gets_floor_of_summed_top_ious():
    # Image 100 x 100: radius 7.8125 px. GT centre (20, 20).
    # IoUs with the GT: q0 1.0, q1 36/40 = 0.9, q2 0.9, q3 32/40 = 0.8, q4 0 (far away).
    # Candidates q0..q3; k = floor(1.0 + 0.9 + 0.9 + 0.8) = floor(3.6) = 3 (rounding gives 4).
    # The boxes are nested in the GT, so GIoU = IoU: the 3 cheapest are q0, q1, q2.
    result = _assign(
        pred_bboxes=[[0, 0, 40, 40], [0, 0, 40, 36], [0, 4, 40, 40], [0, 0, 40, 32],
                     [80, 80, 90, 90]],
        logits=[[0.0]] * 5,
        gt_bboxes=[[0, 0, 40, 40]],
        gt_labels=[0],
        img_meta=dict(img_shape=(100, 100)))
    assert isinstance(result, AssignResult)
    assert result.num_gts == 1
    assert result.gt_inds.tolist() == [1, 1, 1, 0, 0]
    assert result.labels.tolist() == [0, 0, 0, -1, -1]
    assert result.max_overlaps.tolist() == pytest.approx([1.0, 0.9, 0.9, 0.0, 0.0])


def test_non_candidate_is_not_assigned_while_candidates_exist():
    # Image 100 x 100: radius 7.8125 px. GT [0, 0, 80, 80], centre (40, 40).
    # q0 [0, 0, 20, 20]: centre (10, 10) in the box, not near the centre: candidate, +100.
    #   IoU = 400 / 6400 = 0.0625 = GIoU; logit -5 -> focal cost ~ +1.23.
    #   cost ~ 1.23 - 3 * 0.0625 + 100 = 101.04.
    # q1 [60, 60, 100, 100]: centre (80, 80) not in the box (x2 = 80 is exclusive), 40 px from
    #   the centre: not a candidate. IoU = 400 / 7600, GIoU = 0.0526 - 2400 / 10000 = -0.187;
    #   logit +5 -> focal cost ~ -3.70. cost ~ -3.70 + 0.56 + 100 (+ 1e4) = 96.86 (+ 1e4).
    # k = max(1, floor(0.0625)) = 1. Without the non-candidate cost q1 would win.
    args = dict(
        pred_bboxes=[[0, 0, 20, 20], [60, 60, 100, 100]],
        logits=[[-5.0], [5.0]],
        gt_bboxes=[[0, 0, 80, 80]],
        gt_labels=[0],
        img_meta=dict(img_shape=(100, 100)))
    result = _assign(**args)
    assert result.gt_inds.tolist() == [1, 0]
    assert result.max_overlaps.tolist() == pytest.approx([0.0625, 0.0])
    # The same case without the penalty picks the far query: the penalty is what decides.
    assert _assign(non_candidate_cost=0.0, **args).gt_inds.tolist() == [0, 1]


def test_centre_prior_beats_higher_iou():
    # Image 100 x 100: radius 7.8125 px. GT [0, 0, 80, 80], centre (40, 40).
    # q0 [30, 30, 50, 50]: centre (40, 40), in box and centre; IoU = GIoU = 400 / 6400.
    # q1 [0, 0, 60, 60]: centre (30, 30), in box but 10 px from the centre (+100);
    #   IoU = GIoU = 3600 / 6400. k = max(1, floor(0.0625 + 0.5625)) = 1.
    # By GIoU alone q1 would win; the not-centre cost makes q0 the cheapest.
    args = dict(
        pred_bboxes=[[30, 30, 50, 50], [0, 0, 60, 60]],
        logits=[[0.0], [0.0]],
        gt_bboxes=[[0, 0, 80, 80]],
        gt_labels=[0],
        img_meta=dict(img_shape=(100, 100)))
    assert _assign(**args).gt_inds.tolist() == [1, 0]
    assert _assign(not_center_cost=0.0, **args).gt_inds.tolist() == [0, 1]


def test_dynamic_k_counts_candidate_ious_only():
    # GT [0, 0, 100, 100], centre (50, 50). Candidates: q0 = GT (IoU 1), q1 [0, 0, 100, 50]
    # (IoU 0.5). Non-candidates (centres (105, 50) and (-5, 50), outside the box and 55 px
    # from the centre): n0, n1 with IoU 4500 / 15500 = 0.29 each.
    # Over candidates k = floor(1.5) = 1; over all queries it would be floor(2.08) = 2 and q1
    # (the next cheapest) would be assigned too.
    result = _assign(
        pred_bboxes=[[0, 0, 100, 100], [0, 0, 100, 50], [55, 0, 155, 100], [-55, 0, 45, 100]],
        logits=[[0.0]] * 4,
        gt_bboxes=[[0, 0, 100, 100]],
        gt_labels=[0])
    assert result.gt_inds.tolist() == [1, 0, 0, 0]


@pytest.mark.parametrize('swap', [False, True])
def test_query_claimed_by_two_gts_goes_to_cheaper_gt(swap):
    # GT A [0, 0, 100, 100] centre (50, 50); GT B [30, 0, 130, 100] centre (80, 50).
    # qa = A, qb = B, qs [20, 0, 120, 100] (centre (70, 50): in both boxes and centres).
    # IoU(qs, A) = 8000 / 12000 = 0.667, IoU(qs, B) = 9000 / 11000 = 0.818 (= GIoUs).
    # IoU(qa, B) = IoU(qb, A) = 7000 / 13000 = 0.538, and qa / qb are 30 px from the other
    # GT's centre (+100 there). k_A = floor(1 + 0.667 + 0.538) = 2 -> A claims qa, qs;
    # k_B = floor(1 + 0.818 + 0.538) = 2 -> B claims qb, qs. qs is cheaper for B.
    gts = [[0, 0, 100, 100], [30, 0, 130, 100]]
    a_ind, b_ind = 1, 2
    if swap:  # the cheaper GT must win whatever its index
        gts = gts[::-1]
        a_ind, b_ind = 2, 1
    result = _assign(
        pred_bboxes=[[0, 0, 100, 100], [30, 0, 130, 100], [20, 0, 120, 100]],
        logits=[[0.0]] * 3,
        gt_bboxes=gts,
        gt_labels=[0, 0])
    assert result.gt_inds.tolist() == [a_ind, b_ind, b_ind]
    assert result.max_overlaps.tolist() == pytest.approx([1.0, 1.0, 9 / 11])


def test_every_gt_gets_a_query_after_conflicts():
    # GT A [0, 0, 100, 100] label 0 centre (50, 50); GT B [20, 0, 120, 100] label 1 centre
    # (70, 50). Every IoU below is 100 / 10000 = 0.01, so k_A = k_B = 1.
    # q0 [55, 45, 65, 55] (centre (60, 50), in both boxes and centres), logits (3, -1):
    #   cost_A ~ -2.08 - 0.03, cost_B ~ +0.16 - 0.03 -> both GTs claim q0, A keeps it.
    # q1 [75, 45, 85, 55] (centre (80, 50): in B's box and centre, 30 px from A's centre),
    #   logits (-3, -2): B's second choice. q2 is far from both: not a candidate.
    # Plain conflict resolution leaves B empty; the rule gives B its cheapest query that is
    # not the sole query of another GT: q1 (q0 is A's only query).
    result = _assign(
        pred_bboxes=[[55, 45, 65, 55], [75, 45, 85, 55], [250, 250, 260, 260]],
        logits=[[3.0, -1.0], [-3.0, -2.0], [5.0, 5.0]],
        gt_bboxes=[[0, 0, 100, 100], [20, 0, 120, 100]],
        gt_labels=[0, 1])
    assert result.gt_inds.tolist() == [1, 2, 0]
    assert result.labels.tolist() == [0, 1, -1]
    assert result.max_overlaps.tolist() == pytest.approx([0.01, 0.01, 0.0])


def test_empty_gt_may_take_a_query_from_a_gt_with_several():
    # GT A [0, 0, 100, 100] label 0; GT B [40, 40, 60, 60] label 1, inside A; centres (50, 50).
    # IoUs with A: q0 1.0, q1 0.99, q3 0.98, q2 0.01 -> k_A = floor(2.98) = 2: A claims q0, q1.
    # IoUs with B: q2 0.25, others ~0.04 -> k_B = 1. Logit for label 1 is 3 on q0, -3 elsewhere:
    # cost_B(q0) ~ -2.08 - 0.12 is B's cheapest, so B claims q0, which A keeps (cost ~ -3.09).
    # B is left empty; q0 is not A's only query, so B takes it (cheaper for B than q2, ~ -0.06).
    result = _assign(
        pred_bboxes=[[0, 0, 100, 100], [0, 0, 100, 99], [45, 45, 55, 55], [0, 0, 98, 100]],
        logits=[[0.0, 3.0], [0.0, -3.0], [-3.0, -3.0], [0.0, -3.0]],
        gt_bboxes=[[0, 0, 100, 100], [40, 40, 60, 60]],
        gt_labels=[0, 1])
    assert result.gt_inds.tolist() == [2, 1, 0, 0]
    assert result.max_overlaps.tolist() == pytest.approx([0.04, 0.99, 0.0, 0.0])


def test_more_gts_than_queries_does_not_crash():
    # GT 0 and GT 1 both want q0, which goes to GT 0 (IoU 1 vs 81 / 119); q1 goes to GT 2.
    # No query is free for GT 1, so it stays unmatched.
    result = _assign(
        pred_bboxes=[[0, 0, 10, 10], [50, 50, 60, 60]],
        logits=[[0.0], [0.0]],
        gt_bboxes=[[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]],
        gt_labels=[0, 0, 0])
    assert result.num_gts == 3
    assert result.gt_inds.tolist() == [1, 3]


def test_no_gt_gives_all_background():
    result = _assign(
        pred_bboxes=[[0, 0, 10, 10], [5, 5, 30, 30], [100, 100, 200, 200]],
        logits=[[1.0, 2.0]] * 3,
        gt_bboxes=[],
        gt_labels=[])
    assert result.num_gts == 0
    assert result.gt_inds.tolist() == [0, 0, 0]
    assert result.labels.tolist() == [-1, -1, -1]
    assert result.max_overlaps.tolist() == [0.0, 0.0, 0.0]


def test_no_query():
    preds = InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0, 2))
    gts = _instances([[0, 0, 10, 10]], labels=[0])
    result = DynamicKAssigner().assign(preds, gts, img_meta=IMG_META)
    assert result.num_gts == 1
    assert result.gt_inds.numel() == 0 and result.labels.numel() == 0
    assert result.max_overlaps.numel() == 0


def test_max_overlaps_are_ious_with_assigned_gt():
    generator = torch.Generator().manual_seed(0)
    xy = torch.rand(60, 2, generator=generator) * 250
    wh = torch.rand(60, 2, generator=generator) * 60 + 5
    pred_bboxes = torch.cat([xy, xy + wh], dim=1)
    gt_bboxes = torch.tensor([[10., 20., 90., 110.], [120., 40., 200., 150.],
                              [60., 150., 180., 260.]])
    preds = InstanceData(bboxes=pred_bboxes, scores=torch.randn(60, 3, generator=generator))
    gts = InstanceData(bboxes=gt_bboxes, labels=torch.tensor([2, 0, 1]))
    result = DynamicKAssigner().assign(preds, gts, img_meta=IMG_META)

    assigned = result.gt_inds > 0
    assert set(result.gt_inds[assigned].tolist()) == {1, 2, 3}  # every GT has a query
    ious = bbox_overlaps(pred_bboxes, gt_bboxes)
    gt_idx = result.gt_inds[assigned] - 1
    expected = ious[assigned, gt_idx]
    assert torch.allclose(result.max_overlaps[assigned], expected)
    assert (result.max_overlaps[~assigned] == 0).all()
    assert torch.equal(result.labels[assigned], gts.labels[gt_idx])
    assert (result.labels[~assigned] == -1).all()


def test_conflict_rule_all_gives_a_query_to_the_cheapest_gt_even_if_it_did_not_claim_it():
    # q0 is claimed by GTs 0 and 1 (their k-lowest), but GT 2 (k = 1) claims q1, its own
    # cheapest, while q0 is cheaper for GT 2 than for GTs 0 and 1 in absolute terms.
    cost = torch.tensor([[1.0, 2.0, 0.5],
                         [9.0, 9.0, 0.1]])
    claims = torch.tensor([[True, True, False], [False, False, True]])
    all_rule = DynamicKAssigner.resolve_conflicts(cost, claims, 'all')
    claimants = DynamicKAssigner.resolve_conflicts(cost, claims, 'claimants')
    assert all_rule.tolist() == [[False, False, True], [False, False, True]]  # SimOTA's argmin
    assert claimants.tolist() == [[True, False, False], [False, False, True]]


def test_dynamic_k_over_all_queries_is_the_authors_variant():
    # the case of test_dynamic_k_counts_candidate_ious_only: over all queries k = 2
    args = dict(
        pred_bboxes=[[0, 0, 100, 100], [0, 0, 100, 50], [55, 0, 155, 100], [-55, 0, 45, 100]],
        logits=[[0.0]] * 4,
        gt_bboxes=[[0, 0, 100, 100]],
        gt_labels=[0])
    assert _assign(**args).gt_inds.tolist() == [1, 0, 0, 0]
    assert _assign(k_over='all', **args).gt_inds.tolist() == [1, 1, 0, 0]


def test_dynamic_k_sums_at_most_topk_iou_ious():
    # 12 candidates that all equal the GT (IoU 1): k = min(topk_iou, 12) = 10, then 3 with
    # topk_iou=3
    boxes = [[0, 0, 100, 100]] * 12
    args = dict(pred_bboxes=boxes, logits=[[0.0]] * 12, gt_bboxes=[[0, 0, 100, 100]],
                gt_labels=[0])
    assert int((_assign(**args).gt_inds > 0).sum()) == 10
    assert int((_assign(topk_iou=3, **args).gt_inds > 0).sum()) == 3


def test_bad_rules_are_clear_errors():
    with pytest.raises(ValueError, match='conflict_rule'):
        DynamicKAssigner(conflict_rule='first')
    with pytest.raises(ValueError, match='k_over'):
        DynamicKAssigner(k_over='some')
