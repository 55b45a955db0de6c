# Copyright (c) mmvl contributors. All rights reserved.
"""Ensemble VQA models by averaging their answer probabilities, and score every member.

"Learning Rich Image Region Representation for Visual Question Answering" (arXiv 1910.13077,
§4) reaches its challenge entry with an ensemble of VQA models. This tool averages the
per-question answer probabilities (``pred_answer_scores``, the sigmoid outputs over the
answer table) of several models, takes the arg-max answer and reports the official VQA
accuracy (``OfficialVQAAcc``) of each member and of the ensemble, overall and per answer type.

Members are prediction pickles written by ``tools/test.py CONFIG CKPT --out preds.pkl``, or
config + checkpoint pairs that the tool runs through ``tools/test.py`` itself.

Examples::

    python tools/analysis_tools/vqa_ensemble.py --preds s0.pkl s1.pkl s2.pkl \\
        --answer-table data/toyworld/vqa/answer_table.json
    python tools/analysis_tools/vqa_ensemble.py --member cfg.py s0/iter_1500.pth \\
        --member cfg.py s1/iter_1500.pth --answer-table data/toyworld/vqa/answer_table.json \\
        --dump-evalai ensemble.json
"""
import argparse
import json
import os.path as osp
import pickle
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

import torch

try:
    from mmvl.datasets.vl.vqa import load_answer_table
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmvl.datasets.vl.vqa import load_answer_table
from mmvl.evaluation.metrics.vqa_official import OfficialVQAAcc

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_predictions(path: str) -> Dict[int, dict]:
    """Read a ``tools/test.py --out`` pickle into ``{question_id: sample dict}``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'prediction file not found: {path}')
    with open(path, 'rb') as f:
        samples = pickle.load(f)
    table = {}
    for i, sample in enumerate(samples):
        if 'pred_answer_scores' not in sample or 'question_id' not in sample:
            raise KeyError(f'{path}: sample {i} lacks pred_answer_scores or question_id; dump '
                           'it with tools/test.py --out from a VQA classification model')
        table[int(sample['question_id'])] = sample
    return table


def average_answer_scores(members: Sequence[Dict[int, dict]],
                          weights: Optional[Sequence[float]] = None) -> Dict[int, torch.Tensor]:
    """Weighted mean of the members' answer probabilities per question.

    Args:
        members (list[dict]): Per member, ``{question_id: sample}`` with ``pred_answer_scores``.
        weights (list[float], optional): One weight per member (normalised to sum 1).
            Defaults to None (equal weights).

    Returns:
        dict[int, Tensor]: The averaged probabilities per question id.
    """
    if weights is None:
        weights = [1.0] * len(members)
    if len(weights) != len(members):
        raise ValueError(f'{len(weights)} weights for {len(members)} members')
    total = float(sum(weights))
    questions = set(members[0])
    for k, member in enumerate(members[1:], 1):
        if set(member) != questions:
            raise ValueError(f'member {k} answers other questions than member 0 '
                             f'({len(set(member) ^ questions)} differ)')
    return {
        qid: sum(w * torch.as_tensor(m[qid]['pred_answer_scores'], dtype=torch.float64)
                 for w, m in zip(weights, members)) / total
        for qid in sorted(questions)
    }


def score(samples: Dict[int, dict], answers: Dict[int, str],
          dump_evalai: Optional[str] = None) -> Dict[str, float]:
    """Official VQA accuracy of ``answers`` (question id -> answer) against the samples'
    ground truth."""
    metric = OfficialVQAAcc(answer_types=True, dump_evalai=dump_evalai)
    metric.process(None, [
        dict(question_id=qid, pred_answer=answers[qid], gt_answer=s.get('gt_answer') or [],
             answer_type=s.get('answer_type', '')) for qid, s in samples.items()
    ])
    return metric.compute_metrics(metric.results)


def ensemble(members: Sequence[Dict[int, dict]], answer_table: List[str],
             weights: Optional[Sequence[float]] = None,
             dump_evalai: Optional[str] = None) -> Dict[str, Dict[str, float]]:
    """Scores of each member (``member<k>``) and of the ensemble (``ensemble``)."""
    averaged = average_answer_scores(members, weights)
    for member in members:
        for qid, sample in member.items():
            if len(sample['pred_answer_scores']) != len(answer_table):
                raise ValueError(f'question {qid}: {len(sample["pred_answer_scores"])} answer '
                                 f'scores but the answer table has {len(answer_table)}')
    report = {}
    for k, member in enumerate(members):
        answers = {qid: answer_table[int(torch.as_tensor(s['pred_answer_scores']).argmax())]
                   for qid, s in member.items()}
        report[f'member{k}'] = score(member, answers)
    answers = {qid: answer_table[int(p.argmax())] for qid, p in averaged.items()}
    report['ensemble'] = score(members[0], answers, dump_evalai)
    return report


def run_member(config: str, checkpoint: str, out: str, cfg_options: Sequence[str]) -> None:
    """Dump one config + checkpoint's predictions with ``tools/test.py --out``."""
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), config, checkpoint,
           '--out', out, '--work-dir', osp.dirname(out)]
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'tools/test.py failed on {config} {checkpoint}:\n'
                           f'{proc.stderr[-3000:]}')


def format_report(report: Dict[str, Dict[str, float]], names: Sequence[str]) -> str:
    keys = sorted({k for r in report.values() for k in r}, key=lambda k: (k != 'acc', k))
    lines = ['| model | ' + ' | '.join(keys) + ' |', '|---' * (len(keys) + 1) + '|']
    labels = list(names) + ['ensemble']
    for label, (_, metrics) in zip(labels, report.items()):
        lines.append(f'| {label} | ' + ' | '.join(f'{metrics.get(k, float("nan")):.2f}'
                                               for k in keys) + ' |')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preds', nargs='+', default=[], help='tools/test.py --out pickles')
    parser.add_argument('--member', nargs=2, action='append', default=[],
                        metavar=('CONFIG', 'CHECKPOINT'), help='a model to run (repeatable)')
    parser.add_argument('--answer-table', required=True, help='json list of answers')
    parser.add_argument('--weights', nargs='+', type=float, help='one weight per member')
    parser.add_argument('--dump-evalai', help="write the ensemble's answers as EvalAI json")
    parser.add_argument('--out-json', help='write the scores as json')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to tools/test.py for --member runs')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    paths, names = list(args.preds), list(args.preds)
    with tempfile.TemporaryDirectory() as tmp:
        for k, (config, checkpoint) in enumerate(args.member):
            out = osp.join(tmp, f'member{k}', 'preds.pkl')
            print(f'running {config} {checkpoint}', flush=True)
            run_member(config, checkpoint, out, args.cfg_options)
            paths.append(out)
            names.append(checkpoint)
        if len(paths) < 2:
            raise SystemExit('give at least two members (--preds and/or --member)')
        members = [load_predictions(p) for p in paths]
    report = ensemble(members, load_answer_table(args.answer_table), args.weights,
                      args.dump_evalai)
    print(format_report(report, names))
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(dict(members=names, scores=report), f, indent=2)


if __name__ == '__main__':
    main()
