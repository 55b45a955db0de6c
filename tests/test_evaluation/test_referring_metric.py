# Copyright (c) mmvl contributors. All rights reserved.
"""ReferringMetric on hand-computed cases: Prec@0.5, oIoU and mIoU tell different stories."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.structures import InstanceData

from mmvl.evaluation import ReferringMetric
from mmvl.registry import METRICS

H = W = 10


def _mask(x1, y1, x2, y2):
    m = np.zeros((H, W), dtype=bool)
    m[y1:y2, x1:x2] = True
    return m


def _sample(gt_box, gt_mask, pred_boxes=(), pred_masks=(), scores=(), task=None,
            mask_type='bitmap'):
    sample = DetDataSample(metainfo=dict(img_path='img.png', ori_shape=(H, W)))
    if task is not None:
        sample.set_metainfo(dict(task=task))
    gt = InstanceData()
    gt.bboxes = HorizontalBoxes(torch.tensor(gt_box, dtype=torch.float32).reshape(-1, 4))
    gt.labels = torch.zeros(len(gt.bboxes), dtype=torch.long)
    masks = np.asarray(gt_mask, dtype=np.uint8).reshape(-1, H, W)
    gt.masks = dict(bitmap=BitmapMasks(masks, H, W), tensor=torch.from_numpy(masks))[mask_type]
    sample.gt_instances = gt
    pred = InstanceData()
    pred.bboxes = torch.tensor(pred_boxes, dtype=torch.float32).reshape(-1, 4)
    pred.scores = torch.tensor(scores, dtype=torch.float32)
    pred.labels = torch.zeros(len(scores), dtype=torch.long)
    pred.masks = torch.from_numpy(np.asarray(pred_masks, dtype=bool).reshape(-1, H, W))
    sample.pred_instances = pred
    return sample


def _two_samples(mask_type='bitmap'):
    """A: top-1 box IoU 0.5 (hit), mask 50 / 100. B: box IoU 4/28 (miss), mask 4 / 28.

    The second prediction of A is perfect but scores lower, so it must not count.
    """
    a = _sample([0, 0, 10, 10], _mask(0, 0, 10, 10),
                pred_boxes=[[0, 0, 10, 5], [0, 0, 10, 10]],
                pred_masks=[_mask(0, 0, 10, 5), _mask(0, 0, 10, 10)], scores=[0.9, 0.1],
                mask_type=mask_type)
    b = _sample([0, 0, 4, 4], _mask(0, 0, 4, 4), pred_boxes=[[2, 2, 6, 6]],
                pred_masks=[_mask(2, 2, 6, 6)], scores=[0.8], mask_type=mask_type)
    return [a, b]


def _evaluate(metric, samples):
    metric.process({}, [s.to_dict() for s in samples])
    return metric.evaluate(len(samples))


def test_hand_computed_values():
    metric = METRICS.build(dict(type='ReferringMetric'))
    result = _evaluate(metric, _two_samples())
    assert list(result) == ['refer/prec@0.5', 'refer/oiou', 'refer/miou']
    assert result['refer/prec@0.5'] == pytest.approx(50.0)
    assert result['refer/oiou'] == pytest.approx(100 * 54 / 128)  # (50 + 4) / (100 + 28)
    assert result['refer/miou'] == pytest.approx(100 * (0.5 + 1 / 7) / 2)


def test_sample_without_prediction_is_a_miss():
    samples = _two_samples() + [_sample([0, 0, 5, 2], _mask(0, 0, 5, 2))]  # gt area 10
    result = _evaluate(ReferringMetric(), samples)
    assert result['refer/prec@0.5'] == pytest.approx(100 / 3)
    assert result['refer/oiou'] == pytest.approx(100 * 54 / 138)
    assert result['refer/miou'] == pytest.approx(100 * (0.5 + 1 / 7 + 0) / 3)


def test_gt_mask_types_agree():
    expected = _evaluate(ReferringMetric(), _two_samples('bitmap'))
    assert _evaluate(ReferringMetric(), _two_samples('tensor')) == expected
    # a polygon gt is rasterised at the image size (pycocotools' rule)
    polygon = PolygonMasks([[np.array([0, 0, 10, 0, 10, 10, 0, 10], float)]], H, W)
    a = _two_samples()[0]
    a.gt_instances.masks = polygon
    raster = polygon.to_ndarray()[0].astype(bool)
    inter, union = (raster & _mask(0, 0, 10, 5)).sum(), (raster | _mask(0, 0, 10, 5)).sum()
    result = _evaluate(ReferringMetric(metric='oiou'), [a])
    assert list(result) == ['refer/oiou']
    assert result['refer/oiou'] == pytest.approx(100 * inter / union)


def test_threshold_and_box_only():
    result = _evaluate(ReferringMetric(metric='prec@0.1', iou_thr=0.1), _two_samples())
    assert result == {'refer/prec@0.1': pytest.approx(100.0)}  # 4/28 > 0.1
    samples = _two_samples()
    for s in samples:
        del s.pred_instances.masks
    assert _evaluate(ReferringMetric(metric='prec@0.5'), samples)['refer/prec@0.5'] == 50.0
    with pytest.raises(KeyError, match="needs pred_instances\\['masks'\\]"):
        _evaluate(ReferringMetric(), samples)


def test_detection_samples_are_placeholders():
    metric = ReferringMetric()
    det = _sample([[0, 0, 2, 2], [3, 3, 5, 5]], [_mask(0, 0, 2, 2), _mask(3, 3, 5, 5)],
                  task='detection')
    metric.process({}, [det.to_dict()] + [s.to_dict() for s in _two_samples()])
    assert metric.results[0] is None
    assert metric.compute_metrics(metric.results[1:])['prec@0.5'] == 50.0
    with pytest.raises(ValueError, match='MultiDatasetsEvaluator'):
        metric.compute_metrics(metric.results)


def test_bad_input():
    with pytest.raises(ValueError, match="'prec@0.7' disagrees with iou_thr=0.5"):
        ReferringMetric(metric=('prec@0.7', ), iou_thr=0.5)
    with pytest.raises(ValueError, match="unknown metric 'ciou'"):
        ReferringMetric(metric='ciou')
    two_gts = _sample([[0, 0, 2, 2], [3, 3, 5, 5]], [_mask(0, 0, 2, 2), _mask(3, 3, 5, 5)],
                      pred_boxes=[[0, 0, 2, 2]], pred_masks=[_mask(0, 0, 2, 2)], scores=[1.0])
    with pytest.raises(ValueError, match='exactly one gt instance, got 2 for img.png'):
        ReferringMetric().process({}, [two_gts.to_dict()])
    small = _sample([0, 0, 2, 2], _mask(0, 0, 2, 2), pred_boxes=[[0, 0, 2, 2]],
                    pred_masks=[_mask(0, 0, 2, 2)], scores=[1.0])
    small.pred_instances.masks = torch.zeros(1, 5, 5, dtype=torch.bool)
    with pytest.raises(ValueError, match='differ in size'):
        ReferringMetric().process({}, [small.to_dict()])


RES_METRICS = ('prec@0.5', 'prec@0.6', 'prec@0.7', 'prec@0.8', 'prec@0.9', 'oiou', 'miou')


def _three_samples():
    """A and B as above; C: top-1 box IoU 80 / 100 = 0.8, mask IoU 90 / 100 = 0.9."""
    c = _sample([0, 0, 10, 10], _mask(0, 0, 10, 10), pred_boxes=[[0, 0, 10, 8]],
                pred_masks=[_mask(0, 0, 10, 9)], scores=[0.7])
    return _two_samples() + [c]


def test_several_thresholds_on_box_and_mask():
    """IoUs: box (0.5, 4/28, 0.8), mask (0.5, 4/28, 0.9); a threshold equal to the IoU hits."""
    box = _evaluate(ReferringMetric(metric=RES_METRICS), _three_samples())
    assert list(box) == [f'refer/{m}' for m in RES_METRICS]
    expected = dict(zip(RES_METRICS[:5], (2 / 3, 1 / 3, 1 / 3, 1 / 3, 0)))
    for name, value in expected.items():
        assert box[f'refer/{name}'] == pytest.approx(100 * value), name
    mask = _evaluate(ReferringMetric(metric=RES_METRICS, prec_on='mask'), _three_samples())
    expected.update({'prec@0.9': 1 / 3})
    for name, value in expected.items():
        assert mask[f'refer/{name}'] == pytest.approx(100 * value), name
    assert mask['refer/oiou'] == box['refer/oiou'] == pytest.approx(100 * 144 / 228)
    explicit = ReferringMetric(metric=RES_METRICS, iou_thrs=(0.5, 0.6, 0.7, 0.8, 0.9))
    assert _evaluate(explicit, _three_samples()) == box
    # mask precision alone still needs masks, box precision does not
    samples = _three_samples()
    for s in samples:
        del s.pred_instances.masks
    assert _evaluate(ReferringMetric(metric=('prec@0.9', 'prec@0.5')), samples) == {
        'refer/prec@0.9': 0.0, 'refer/prec@0.5': pytest.approx(200 / 3)}
    with pytest.raises(KeyError, match="prec_on='mask'\\) needs pred_instances\\['masks'\\]"):
        _evaluate(ReferringMetric(metric='prec@0.5', prec_on='mask'), samples)


def test_threshold_arguments_bad_input():
    with pytest.raises(ValueError, match=r"'prec@0.6' disagrees with iou_thrs=\[0.5, 0.7\]"):
        ReferringMetric(metric=('prec@0.6', ), iou_thrs=(0.5, 0.7))
    with pytest.raises(ValueError, match='not both'):
        ReferringMetric(iou_thr=0.5, iou_thrs=(0.5, ))
    with pytest.raises(ValueError, match=r"'prec@1.5': the threshold after 'prec@' must be"):
        ReferringMetric(metric='prec@1.5')
    with pytest.raises(ValueError, match=r"'prec@high': the threshold"):
        ReferringMetric(metric='prec@high')
    with pytest.raises(ValueError, match=r'IoU thresholds must be in \(0, 1\], got 0'):
        ReferringMetric(iou_thrs=(0, 0.5))
    with pytest.raises(ValueError, match="prec_on must be 'box' or 'mask'"):
        ReferringMetric(prec_on='segm')
