# Copyright (c) mmvl contributors. All rights reserved.
"""OfficialVQAAcc against hand-computed cases of the official VQA evaluation rules."""
import json

import pytest

from mmvl.evaluation.metrics import OfficialVQAAcc
from mmvl.evaluation.metrics.vqa_official import (normalize_answer, process_punctuation,
                                                  vqa_accuracy)


def test_leave_one_out_mean():
    # 'dog' given by 2 of 10: each of the 2 sees 1 other match (1/3), the 8 others see 2 (2/3)
    gts = ['dog'] * 2 + ['cat'] * 8
    assert vqa_accuracy('dog', gts) == pytest.approx((2 * 1 / 3 + 8 * 2 / 3) / 10)
    # the prediction's number words become digits, the ground truth's do not
    assert vqa_accuracy('two', ['two'] * 10) == 0
    # 3 matches: 3 x 2/3 + 7 x 1 -> 0.9 (mmpretrain's min(1, 3/3) would say 1.0)
    gts = ['red'] * 3 + ['blue'] * 7
    assert vqa_accuracy('red', gts) == pytest.approx(0.9)
    # 4 or more matches is always 1; one match gives 9 x 1/3 / 10 = 0.3
    assert vqa_accuracy('red', ['red'] * 4 + ['blue'] * 6) == pytest.approx(1.0)
    assert vqa_accuracy('red', ['red'] + ['blue'] * 9) == pytest.approx(0.3)
    assert vqa_accuracy('green', ['red'] * 10) == 0


def test_prediction_normalisation():
    assert normalize_answer('Two') == '2'
    assert normalize_answer('  the Cat\n') == 'cat'
    assert normalize_answer('an apple') == 'apple'
    assert normalize_answer('dont') == "don't"
    assert normalize_answer('couldnt\'ve') == "couldn't've"
    assert normalize_answer('none') == '0'
    assert normalize_answer('yes.') == 'yes'
    assert normalize_answer('3.5') == '3.5'
    assert normalize_answer('1,000') == '1000'
    assert normalize_answer('red-white') == 'red white'
    assert normalize_answer('red - white') == 'red white'
    # capitalised keys of the official table never match after lower-casing
    assert normalize_answer('Im') == 'im'
    assert vqa_accuracy('Two', ['2'] * 10) == 1
    assert vqa_accuracy('a dog', ['dog'] * 10) == 1
    assert vqa_accuracy('isnt', ["isn't"] * 10) == 1


def test_ground_truth_punctuation_only_when_answers_disagree():
    # All 10 identical: the ground truth is used as is, so 'yes!' never equals 'yes'.
    assert vqa_accuracy('yes', ['yes!'] * 10) == 0
    # Answers disagree: punctuation is processed, 'yes!' -> 'yes ' (no space around '!'),
    # which still differs from 'yes'; 'yes.' -> 'yes' matches.
    gts = ['yes.'] * 5 + ['yes!'] * 5
    assert process_punctuation('yes!') == 'yes '
    assert vqa_accuracy('yes', gts) == pytest.approx(1.0)
    # Ground truth gets no article/number processing: 'the dog' stays, 'dog' is predicted.
    assert vqa_accuracy('the dog', ['the dog'] * 5 + ['cat'] * 5) == 0
    assert vqa_accuracy('two', ['two'] * 5 + ['2'] * 5) == pytest.approx(1.0)


def test_metric_per_answer_type_and_evalai_dump(tmp_path):
    out = tmp_path / 'res.json'
    metric = OfficialVQAAcc(dump_evalai=str(out))
    samples = [
        dict(question_id=1, pred_answer='yes', gt_answer=['yes'] * 10, answer_type='yes/no'),
        dict(question_id=2, pred_answer='no', gt_answer=['yes'] * 9 + ['no'],
             answer_type='yes/no'),
        dict(question_id=3, pred_answer='two', gt_answer=['2'] * 3 + ['3'] * 7,
             answer_type='number'),
        dict(question_id=4, pred_answer='red', gt_answer=['red'] * 10, answer_type='other'),
        dict(question_id=5, pred_answer='blue', gt_answer=[], answer_type=''),  # test split
    ]
    metric.process(None, samples)
    res = metric.compute_metrics(metric.results)
    assert res['acc_yes_no'] == pytest.approx(100 * (1 + 0.3) / 2)
    assert res['acc_number'] == pytest.approx(90)
    assert res['acc_other'] == pytest.approx(100)
    assert res['acc'] == pytest.approx(100 * (1 + 0.3 + 0.9 + 1) / 4)
    dumped = json.loads(out.read_text())
    assert dumped == [dict(question_id=i, answer=s['pred_answer'])
                      for i, s in enumerate(samples, 1)]


def test_metric_errors():
    with pytest.raises(ValueError, match='json'):
        OfficialVQAAcc(dump_evalai='res.txt')
    with pytest.raises(KeyError, match='pred_answer'):
        OfficialVQAAcc().process(None, [dict(question_id=1)])


def test_2021_rules_of_the_gt_vision_lab_repository():
    """After commit a013f00 the tool normalises both sides only when the answers disagree."""
    # unanimous answers: neither side is normalised
    assert vqa_accuracy('Two', ['2'] * 10, rules='2021') == 0
    assert vqa_accuracy(' 2\n', ['2'] * 10, rules='2021') == 1
    assert vqa_accuracy('Two', ['2'] * 10) == 1  # the original rules normalise the prediction
    # disagreeing answers: articles and number words processed on both sides
    gts = ['the dog'] * 5 + ['cat'] * 5
    assert vqa_accuracy('dog', gts, rules='2021') == pytest.approx(1.0)
    assert vqa_accuracy('dog', gts) == 0  # original: the ground truth keeps its article
    assert vqa_accuracy('2', ['two'] * 4 + ['3'] * 6, rules='2021') == pytest.approx(1.0)
    metric = OfficialVQAAcc(rules='2021')
    metric.process(None, [dict(question_id=1, pred_answer='Two', gt_answer=['2'] * 10,
                               answer_type='number')])
    assert metric.compute_metrics(metric.results)['acc'] == 0
    with pytest.raises(ValueError, match='rules'):
        OfficialVQAAcc(rules='2019')


def test_vqa_test_run_end_to_end(toyworld, tmp_path):
    """VQAv2Dataset + VLDataPreprocessor + a tiny grid VQA model through Runner.test:
    OfficialVQAAcc reports per answer type and writes the EvalAI file."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmvl.datasets.vl import build_answer_table
    from mmvl.testing import REPO_ROOT
    from mmvl.testing.vl import tiny_grid_encoder
    table = build_answer_table(osp.join(toyworld, 'vqa/toyworld_train_annotations.json'),
                               min_count=1)
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets/toyworld_vqa.py'))
    cfg.default_scope = 'mmvl'
    cfg.model = dict(
        type='GridVLVQA', data_preprocessor=cfg.data_preprocessor,
        encoder=tiny_grid_encoder(),
        head=dict(type='VQAClassificationHead', hidden_channels=32, answer_table=table))
    cfg.test_dataloader.dataset.update(data_root=toyworld + '/', answer_table=table)
    cfg.test_dataloader.update(persistent_workers=False, num_workers=0)
    dump = str(tmp_path / 'evalai.json')
    cfg.test_evaluator = dict(type='OfficialVQAAcc', dump_evalai=dump)
    cfg.test_cfg = dict(type='TestLoop')
    cfg.work_dir = str(tmp_path)
    for key in ('train_dataloader', 'val_dataloader', 'val_evaluator'):
        cfg.pop(key)
    metrics = Runner.from_cfg(cfg).test()
    assert 0 <= metrics['VQA/acc'] <= 100
    assert any(k.startswith('VQA/acc_') for k in metrics)
    dumped = json.load(open(dump))
    questions = json.load(open(osp.join(toyworld, 'vqa/toyworld_val_questions.json')))
    assert sorted(d['question_id'] for d in dumped) == sorted(
        q['question_id'] for q in questions['questions'])
    assert all(d['answer'] in table for d in dumped)


def test_matches_the_official_tool_on_recorded_cases():
    """300 messy cases scored by GT-Vision-Lab's vqaEval.py itself (both rule versions; the
    scores were recorded from the official code, which is not shipped here)."""
    import os.path as osp
    path = osp.join(osp.dirname(__file__), 'data', 'vqa_official_cases.json')
    cases = json.load(open(path))['cases']
    assert len(cases) == 300
    for case in cases:
        for rules in ('original', '2021'):
            ours = vqa_accuracy(case['pred'], case['answers'], rules=rules)
            assert ours == pytest.approx(case[rules], abs=1e-9), (rules, case)
    # the two rule versions disagree on a good share of these cases
    assert sum(c['original'] != c['2021'] for c in cases) > 50
