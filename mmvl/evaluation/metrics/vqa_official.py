# Copyright (c) mmvl contributors. All rights reserved.
"""The official VQA accuracy (Antol et al., ICCV 2015; Goyal et al., CVPR 2017, Sec. 3).

Rules of the GT-Vision-Lab evaluation tool (``PythonEvaluationTools/vqaEvaluation/vqaEval.py``),
re-implemented here (mmpretrain's ``VQAAcc`` is a simplification: min(1, n/3) without the
leave-one-out mean and with the ground truth always normalised):

1. The prediction: ``\\n`` and ``\\t`` become spaces, the string is stripped, punctuation is
   processed, then it is lower-cased word by word with number words mapped to digits, articles
   dropped and contractions restored (:func:`normalize_answer`).
2. The 10 ground-truth answers get the punctuation step only, and only when they are not all
   identical.
3. For each ground-truth answer i, acc_i = min(1, #(other 9 answers equal to the prediction) / 3);
   the question's accuracy is the mean of the 10 values. Reported: the mean over questions x 100,
   overall and per answer type.

These are the rules of the tool as released and as copied by LAVIS (and so ChatBridge):
``rules='original'``. The GT-Vision-Lab repository changed them in March 2021 (commit a013f00,
"Fixed processing answers bug"): every answer is stripped, and when the 10 answers disagree both
the prediction and the answers get the punctuation and word steps, while a prediction for
unanimous answers gets neither (``'Two'`` then scores 0 against ten ``'2'``). ``rules='2021'``
follows that version.
"""
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import mmengine
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvl.registry import METRICS

# Characters the punctuation step removes (or turns into a space).
PUNCTUATION = (';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<',
               '@', '`', ',', '?', '!')
NUMBER_WORDS = {
    'none': '0', 'zero': '0', 'one': '1', 'two': '2', 'three': '3', 'four': '4', 'five': '5',
    'six': '6', 'seven': '7', 'eight': '8', 'nine': '9', 'ten': '10'
}
ARTICLES = ('a', 'an', 'the')
_CONTRACTION_LIST = [
    "ain't", "aren't", "can't", "could've", "couldn't", "couldn't've", "didn't", "doesn't",
    "don't", "hadn't", "hadn't've", "hasn't", "haven't", "he'd", "he'd've", "he's", "how'd",
    "how'll", "how's", "I'd've", "I'm", "I've", "isn't", "it'd", "it'd've", "it'll", "ma'am",
    "mightn't", "mightn't've", "might've", "mustn't", "must've", "needn't", "not've", "o'clock",
    "oughtn't", "shan't", "she'd've", "should've", "shouldn't", "shouldn't've", "somebody'd've",
    "somebody'll", "somebody's", "someone'd", "someone'd've", "someone'll", "someone's",
    "something'd", "something'd've", "something'll", "that's", "there'd", "there'd've",
    "there're", "there's", "they'd", "they'd've", "they'll", "they're", "they've", "wasn't",
    "we'd've", "we've", "weren't", "what'll", "what're", "what's", "what've", "when's",
    "where'd", "where's", "where've", "who'd", "who'd've", "who'll", "who's", "who've",
    "why'll", "why're", "why's", "won't", "would've", "wouldn't", "wouldn't've", "y'all",
    "y'all'll", "y'all'd've", "you'd", "you'd've", "you'll", "you're", "you've"
]


def _contraction_table() -> Dict[str, str]:
    """Spelling with one apostrophe left out -> the contraction.

    The official table maps ``dont`` -> ``don't`` and, for words with several apostrophes, each
    spelling that lacks exactly one of them (``couldnt've`` and ``couldn'tve`` ->
    ``couldn't've``), plus the few irregular entries listed below.
    """
    table = {}
    for word in _CONTRACTION_LIST:
        for i, char in enumerate(word):
            if char == "'":
                table[word[:i] + word[i + 1:]] = word
    table.update({"ow's'at": "'ow's'at", "'ows'at": "'ow's'at", "'ow'sat": "'ow's'at",
                  'twas': "'twas", "let's": "let's", "she's": "she's",
                  "somebody'd": 'somebodyd'})
    return table


CONTRACTIONS = _contraction_table()
_COMMA_BETWEEN_DIGITS = re.compile(r'(\d)(,)(\d)')
_PERIOD_NOT_BEFORE_DIGIT = re.compile(r'\.(?!\d)')


def process_punctuation(text: str) -> str:
    """The official punctuation step.

    Each character of :data:`PUNCTUATION` is deleted when it touches a space anywhere in the
    text (or when the text has a comma between digits), else replaced by a space. Periods not
    followed by a digit are then deleted (``3.5`` keeps its period).

    # NOTE: the official tool passes ``re.UNICODE`` (32) as the ``count`` of its period
    # substitution, so it deletes at most 32 periods; kept for identical scores.
    """
    out = text
    has_digit_comma = _COMMA_BETWEEN_DIGITS.search(text) is not None
    for p in PUNCTUATION:
        if p + ' ' in text or ' ' + p in text or has_digit_comma:
            out = out.replace(p, '')
        else:
            out = out.replace(p, ' ')
    return _PERIOD_NOT_BEFORE_DIGIT.sub('', out, count=re.UNICODE)


def process_digit_article(text: str) -> str:
    """The official word step: lower-case, number words -> digits, drop articles, contractions.

    # NOTE: like the official tool, keys of the contraction table are matched after
    # lower-casing, so its capitalised keys (``Im``, ``Ive``) never match.
    """
    words = [NUMBER_WORDS.get(w, w) for w in text.lower().split()]
    words = [w for w in words if w not in ARTICLES]
    return ' '.join(CONTRACTIONS.get(w, w) for w in words)


RULES = ('original', '2021')


def _strip(text: str) -> str:
    return text.replace('\n', ' ').replace('\t', ' ').strip()


def normalize_answer(answer: str) -> str:
    """Normalise a predicted answer as the official tool does (rule 1 of the module doc)."""
    return process_digit_article(process_punctuation(_strip(answer)))


def vqa_accuracy(pred_answer: str, gt_answers: Sequence[str], rules: str = 'original') -> float:
    """Official accuracy of one prediction against its (usually 10) ground-truth answers.

    Args:
        pred_answer (str): The raw prediction.
        gt_answers (Sequence[str]): The raw annotator answers.
        rules (str): ``'original'`` (the released tool, LAVIS) or ``'2021'`` (GT-Vision-Lab
            after commit a013f00); see the module doc. Defaults to 'original'.

    Returns:
        float: The mean over leave-one-out subsets of min(1, matches / 3), in [0, 1].
    """
    if len(gt_answers) == 0:
        raise ValueError('vqa_accuracy needs at least one ground-truth answer')
    if rules == 'original':
        pred = normalize_answer(pred_answer)
        gts = list(gt_answers)
        if len(set(gts)) > 1:
            gts = [process_punctuation(a) for a in gts]
    elif rules == '2021':
        pred, gts = _strip(pred_answer), [_strip(a) for a in gt_answers]
        if len(set(gts)) > 1:
            gts = [process_digit_article(process_punctuation(a)) for a in gts]
            pred = process_digit_article(process_punctuation(pred))
    else:
        raise ValueError(f'rules must be one of {RULES}, got {rules!r}')
    matches = [gt == pred for gt in gts]
    total = sum(matches)
    accs = [min(1.0, (total - int(m)) / 3) for m in matches]
    return sum(accs) / len(accs)


@METRICS.register_module()
class OfficialVQAAcc(BaseMetric):
    """VQA accuracy by the official tool's rules, overall and per answer type.

    Reads ``pred_answer``, ``question_id``, ``gt_answer`` (the raw annotator answers) and
    ``answer_type`` of each sample. Samples without ground truth (test splits) are only written
    to the result file.

    Args:
        answer_types (bool): Also report ``acc_<type>`` per answer type (``yes/no`` is reported
            as ``acc_yes_no``). Defaults to True.
        dump_evalai (str, optional): Write every prediction as ``[{question_id, answer}]`` (the
            EvalAI submission format) to this ``.json`` path. Defaults to None.
        rules (str): ``'original'`` or ``'2021'``, see :func:`vqa_accuracy`.
            Defaults to 'original'.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to None (``'VQA'``).
    """
    default_prefix = 'VQA'

    def __init__(self, answer_types: bool = True, dump_evalai: Optional[str] = None,
                 rules: str = 'original', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if dump_evalai is not None and not dump_evalai.endswith('.json'):
            raise ValueError(f'dump_evalai must be a .json path, got {dump_evalai!r}')
        if rules not in RULES:
            raise ValueError(f'rules must be one of {RULES}, got {rules!r}')
        self.rules = rules
        self.answer_types = answer_types
        self.dump_evalai = dump_evalai

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the prediction, the raw answers and the answer type of every sample."""
        for sample in data_samples:
            if 'pred_answer' not in sample:
                raise KeyError('OfficialVQAAcc needs `pred_answer` in the model outputs')
            gt = sample.get('gt_answer') or []
            self.results.append(dict(
                question_id=int(sample.get('question_id', -1)),
                pred_answer=sample['pred_answer'],
                gt_answer=[gt] if isinstance(gt, str) else list(gt),
                answer_type=sample.get('answer_type', '') or ''))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Official accuracy x 100 (overall and per answer type); writes the EvalAI file."""
        if self.dump_evalai is not None:
            mmengine.dump([dict(question_id=r['question_id'], answer=r['pred_answer'])
                           for r in results], self.dump_evalai)
            MMLogger.get_current_instance().info(
                f'VQA predictions written in EvalAI format to {self.dump_evalai}')
        scored = [r for r in results if r['gt_answer']]
        if not scored:
            return {}
        per_type = defaultdict(list)
        accs = []
        for r in scored:
            acc = vqa_accuracy(r['pred_answer'], r['gt_answer'], self.rules)
            accs.append(acc)
            if r['answer_type']:
                per_type[r['answer_type']].append(acc)
        metrics = {'acc': 100 * sum(accs) / len(accs)}
        if self.answer_types:
            for answer_type, values in sorted(per_type.items()):
                key = 'acc_' + re.sub(r'\W+', '_', answer_type)
                metrics[key] = 100 * sum(values) / len(values)
        return metrics
