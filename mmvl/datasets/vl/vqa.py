# Copyright (c) mmvl contributors. All rights reserved.
"""VQAv2 from the official question and annotation files, with the classification answer table.

VQA as classification over frequent answers (Teney et al., "Tips and Tricks for Visual Question
Answering", CVPR 2018, Sec. 3; the bottom-up-attention "BUTD" recipe used by SOHO, Pixel-BERT,
ViLT and EVE): the answer table holds the answers chosen (``multiple_choice_answer``) at least
9 times in train + val (3,129 answers for VQAv2), and a question's soft target gives each table
answer the score min(1, 0.3 x #annotators who gave it): 1 -> 0.3, 2 -> 0.6, 3 -> 0.9, >= 4 -> 1.
"""
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Union

from mmpretrain.datasets import COCOVQA

from mmvl.evaluation.metrics.vqa_official import normalize_answer
from mmvl.registry import DATASETS
from ..checks import AnnotationError, check_exists, load_json, require_keys


def answer_score(count: int) -> float:
    """BUTD soft score of an answer given by ``count`` of the 10 annotators."""
    return min(1.0, 0.3 * count)


def _load_annotations(path: str) -> List[dict]:
    data = load_json(path)
    require_keys(data, ('annotations', ), f'{path} (VQAv2 annotations)')
    for i, ann in enumerate(data['annotations']):
        require_keys(ann, ('question_id', 'answers', 'multiple_choice_answer'),
                     f'{path}: annotations[{i}]')
    return data['annotations']


def build_answer_table(annotation_files: Union[str, Sequence[str]], min_count: Optional[int] = 9,
                       top_k: Optional[int] = None) -> List[str]:
    """The answer vocabulary of VQA-as-classification from official annotation files.

    Counts each question's normalised ``multiple_choice_answer`` (official normalisation,
    :func:`~mmvl.evaluation.metrics.vqa_official.normalize_answer`) and keeps those chosen at
    least ``min_count`` times, at most ``top_k`` of them. On VQAv2 train + val with
    ``min_count=9`` this gives the 3,129 answers of BUTD / ViLT / SOHO.

    Args:
        annotation_files (str | Sequence[str]): ``v2_mscoco_*_annotations.json`` files.
        min_count (int, optional): Smallest count kept. Defaults to 9.
        top_k (int, optional): Keep at most the ``top_k`` most frequent. Defaults to None.

    Returns:
        list[str]: Answers, most frequent first (ties in alphabetical order).
    """
    if isinstance(annotation_files, str):
        annotation_files = [annotation_files]
    counts = Counter()
    for path in annotation_files:
        for ann in _load_annotations(path):
            counts[normalize_answer(ann['multiple_choice_answer'])] += 1
    answers = sorted(counts, key=lambda a: (-counts[a], a))
    if min_count is not None:
        answers = [a for a in answers if counts[a] >= min_count]
    if top_k is not None:
        answers = answers[:top_k]
    return answers


def load_answer_table(path: str) -> List[str]:
    """Read an answer table: a json list of answer strings (or ``{"label2ans": [...]}``)."""
    table = load_json(path)
    if isinstance(table, dict) and 'label2ans' in table:
        table = table['label2ans']
    if not isinstance(table, list) or not all(isinstance(a, str) for a in table):
        raise AnnotationError(f'{path} should hold a json list of answer strings')
    if len(set(table)) != len(table):
        raise AnnotationError(f'{path} lists some answers twice')
    return table


@DATASETS.register_module()
class VQAv2Dataset(COCOVQA):
    """VQAv2 questions with their 10 annotator answers and soft classification targets.

    Extends mmpretrain's ``COCOVQA`` (which finds the image of an ``image_id`` by the 12-digit
    number in the file names under ``data_prefix``): annotations are matched to questions by
    ``question_id`` rather than by position, malformed files raise one error naming them, and
    every entry carries

    - ``question`` (str), ``question_id`` (int), ``image_id`` (int), ``img_path`` (str),
    - ``answer_type`` (str, ``''`` without annotations), ``question_type``,
    - ``gt_answer`` (list[str]): the raw annotator answers, empty without annotations,
    - ``gt_answer_label`` / ``gt_answer_score`` (list[int] / list[float]): the answer-table
      indices of the (normalised) annotator answers in the table and their BUTD soft scores.

    Args:
        data_root (str): Root of the other paths.
        data_prefix (str): Image folder.
        question_file (str): ``v2_OpenEnded_mscoco_*_questions.json``.
        ann_file (str): ``v2_mscoco_*_annotations.json``; empty for test splits.
            Defaults to ''.
        answer_table (str | list[str], optional): The answer vocabulary (a json file made by
            ``tools/dataset_converters/build_vqa_answer_table.py`` or a list). Needed for the
            classification targets. Defaults to None.
        **kwargs: Other arguments of mmengine's ``BaseDataset``.
    """

    def __init__(self, data_root: str, data_prefix: str, question_file: str,
                 ann_file: str = '', answer_table: Union[str, List[str], None] = None,
                 **kwargs) -> None:
        if isinstance(answer_table, str):
            path = answer_table if osp.isabs(answer_table) else osp.join(data_root, answer_table)
            answer_table = load_answer_table(path)
        self.answer_table = list(answer_table) if answer_table is not None else None
        self.answer_to_label: Dict[str, int] = {
            a: i for i, a in enumerate(self.answer_table or [])}
        super().__init__(data_root=data_root, data_prefix=data_prefix,
                         question_file=question_file, ann_file=ann_file, **kwargs)

    def soft_targets(self, answers: Sequence[str]) -> tuple:
        """Answer-table labels and BUTD scores of raw annotator answers."""
        counts = Counter(normalize_answer(a) for a in answers)
        labels, scores = [], []
        for answer, count in counts.items():
            if answer in self.answer_to_label:
                labels.append(self.answer_to_label[answer])
                scores.append(answer_score(count))
        return labels, scores

    def load_data_list(self) -> List[dict]:
        """One entry per question (see the class doc)."""
        check_exists(self.question_file, 'VQA question file')
        data = load_json(self.question_file)
        require_keys(data, ('questions', ), f'{self.question_file} (VQAv2 questions)')
        annotations = {}
        if self.ann_file:
            annotations = {a['question_id']: a for a in _load_annotations(self.ann_file)}
        check_exists(self.data_prefix['img_path'], 'VQA image folder')
        image_index = self._create_image_index()

        data_list = []
        for i, q in enumerate(data['questions']):
            where = f'{self.question_file}: questions[{i}]'
            require_keys(q, ('question_id', 'image_id', 'question'), where)
            if q['image_id'] not in image_index:
                raise AnnotationError(f'{where}: no image for image_id {q["image_id"]} under '
                                      f'{self.data_prefix["img_path"]} (names need a 12-digit id)')
            info = dict(question=q['question'], question_id=q['question_id'],
                        image_id=q['image_id'], img_path=image_index[q['image_id']],
                        answer_type='', question_type='', gt_answer=[], gt_answer_label=[],
                        gt_answer_score=[])
            if self.ann_file:
                ann = annotations.get(q['question_id'])
                if ann is None:
                    raise AnnotationError(f'{self.ann_file} has no annotation for question_id '
                                          f'{q["question_id"]} of {self.question_file}')
                answers = [a['answer'] if isinstance(a, dict) else a for a in ann['answers']]
                info.update(answer_type=ann.get('answer_type', ''),
                            question_type=ann.get('question_type', ''), gt_answer=answers,
                            multiple_choice_answer=ann['multiple_choice_answer'])
                if self.answer_table is not None:
                    info['gt_answer_label'], info['gt_answer_score'] = \
                        self.soft_targets(answers)
            data_list.append(info)
        return data_list

