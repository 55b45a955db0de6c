"""tools/analysis_tools/vqa_ensemble.py: probability averaging (hand-computed), member and
ensemble official accuracy, EvalAI dump, and clear errors."""
import json
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch

from mmvl.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
import vqa_ensemble  # noqa: E402

TABLE = ['yes', 'no', '2']
GT = {1: ['yes'] * 10, 2: ['2'] * 10, 3: ['no'] * 10}
TYPES = {1: 'yes/no', 2: 'number', 3: 'yes/no'}


def member(scores):
    return {qid: dict(question_id=qid, pred_answer_scores=torch.tensor(s), gt_answer=GT[qid],
                      answer_type=TYPES[qid]) for qid, s in scores.items()}


# member A is right on 1 and 3, B on 2 and 3; averaged: q1 yes (0.6 vs 0.5), q2 '2' (0.55 vs
# 0.5), q3 no -> the ensemble gets all three right, each member two of three.
A = member({1: [0.9, 0.1, 0.0], 2: [0.0, 0.6, 0.5], 3: [0.1, 0.8, 0.0]})
B = member({1: [0.3, 0.9, 0.0], 2: [0.0, 0.4, 0.6], 3: [0.2, 0.7, 0.1]})


def test_average_is_the_mean_of_probabilities():
    avg = vqa_ensemble.average_answer_scores([A, B])
    torch.testing.assert_close(avg[1], torch.tensor([0.6, 0.5, 0.0], dtype=torch.float64))
    torch.testing.assert_close(avg[2], torch.tensor([0.0, 0.5, 0.55], dtype=torch.float64))
    weighted = vqa_ensemble.average_answer_scores([A, B], weights=[3, 1])
    torch.testing.assert_close(weighted[1],
                               torch.tensor([0.75, 0.3, 0.0], dtype=torch.float64))


def test_ensemble_beats_members_on_the_hand_case(tmp_path):
    dump = str(tmp_path / 'evalai.json')
    report = vqa_ensemble.ensemble([A, B], TABLE, dump_evalai=dump)
    assert report['member0']['acc'] == pytest.approx(200 / 3)
    assert report['member1']['acc'] == pytest.approx(200 / 3)
    assert report['member0']['acc_number'] == 0 and report['member1']['acc_number'] == 100
    assert report['ensemble']['acc'] == pytest.approx(100)
    with open(dump) as f:
        assert sorted((d['question_id'], d['answer']) for d in json.load(f)) == [
            (1, 'yes'), (2, '2'), (3, 'no')]


def test_mismatched_members_are_errors():
    with pytest.raises(ValueError, match='other questions'):
        vqa_ensemble.average_answer_scores([A, {1: A[1]}])
    with pytest.raises(ValueError, match='answer table has 2'):
        vqa_ensemble.ensemble([A, B], TABLE[:2])


def test_cli_on_pickles(tmp_path):
    paths = []
    for name, m in (('a', A), ('b', B)):
        paths.append(str(tmp_path / f'{name}.pkl'))
        with open(paths[-1], 'wb') as f:
            pickle.dump(list(m.values()), f)
    table = tmp_path / 'table.json'
    table.write_text(json.dumps(TABLE))
    out = tmp_path / 'scores.json'
    proc = subprocess.run([sys.executable, 'tools/analysis_tools/vqa_ensemble.py', '--preds',
                           *paths, '--answer-table', str(table), '--out-json', str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '| ensemble | 100.00' in proc.stdout
    assert json.loads(out.read_text())['scores']['ensemble']['acc'] == pytest.approx(100)
    with pytest.raises(FileNotFoundError, match='prediction file not found'):
        vqa_ensemble.main(['--preds', paths[0], str(tmp_path / 'missing.pkl'),
                           '--answer-table', str(table)])
