# Copyright (c) mmvl contributors. All rights reserved.
"""Vision-language loaders on small files in the official formats, and their errors."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mmvl.datasets import AnnotationError
from mmvl.datasets.vl import VQAv2Dataset, answer_score, build_answer_table

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _dump(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f)
    return str(path)


def _image(path, size=(8, 8)):
    cv2.imwrite(str(path), np.zeros((*size, 3), np.uint8))
    return str(path)


@pytest.fixture
def vqa_files(tmp_path):
    """Two questions on COCO-named images in the official VQAv2 layout."""
    (tmp_path / 'val2014').mkdir()
    for image_id in (42, 7):
        _image(tmp_path / 'val2014' / f'COCO_val2014_{image_id:012d}.jpg')
    questions = dict(questions=[
        dict(image_id=42, question='How many dogs?', question_id=42000),
        dict(image_id=7, question='Is it red?', question_id=7001)])

    def answers(*values):
        return [dict(answer=a, answer_confidence='yes', answer_id=i + 1)
                for i, a in enumerate(values)]

    # annotations in another order than the questions: matched by question_id
    annotations = dict(annotations=[
        dict(question_id=7001, image_id=7, question_type='is it', answer_type='yes/no',
             multiple_choice_answer='yes', answers=answers(*(['yes'] * 9 + ['no']))),
        dict(question_id=42000, image_id=42, question_type='how many', answer_type='number',
             multiple_choice_answer='2',
             answers=answers(*(['2'] * 4 + ['two'] * 2 + ['3'] * 3 + ['many'])))])
    return dict(root=str(tmp_path),
                q=_dump(tmp_path / 'q.json', questions),
                a=_dump(tmp_path / 'a.json', annotations))


def test_answer_table_counts_normalised_majority_answers(vqa_files, tmp_path):
    second = json.load(open(vqa_files['a']))
    for ann in second['annotations']:
        ann['multiple_choice_answer'] = 'Yes.'  # normalises to 'yes'
    path2 = _dump(tmp_path / 'a2.json', second)
    # yes: 3, 2: 1, most frequent first
    assert build_answer_table([vqa_files['a'], path2], min_count=1) == ['yes', '2']
    # ties in alphabetical order
    assert build_answer_table(vqa_files['a'], min_count=1) == ['2', 'yes']
    assert build_answer_table([vqa_files['a'], path2], min_count=2) == ['yes']
    assert build_answer_table([vqa_files['a'], path2], min_count=None, top_k=1) == ['yes']


def test_answer_table_tool(vqa_files, tmp_path):
    out = tmp_path / 'table.json'
    subprocess.run([sys.executable, osp.join(REPO, 'tools/dataset_converters/'
                                             'build_vqa_answer_table.py'),
                    vqa_files['a'], '--min-count', '1', '--out', str(out)],
                   check=True, capture_output=True)
    assert json.loads(out.read_text()) == ['2', 'yes']


def test_vqa_dataset_fields_and_soft_scores(vqa_files):
    ds = VQAv2Dataset(data_root=vqa_files['root'], data_prefix='val2014',
                      question_file='q.json', ann_file='a.json',
                      answer_table=['yes', 'no', '2', '3', 'many'])
    first = ds.get_data_info(0)
    assert first['question'] == 'How many dogs?' and first['image_id'] == 42
    assert first['img_path'].endswith('COCO_val2014_000000000042.jpg')
    assert first['answer_type'] == 'number'
    assert len(first['gt_answer']) == 10
    # 'two' normalises to '2': 6 annotators -> 1.0; '3' by 3 -> 0.9; 'many' by 1 -> 0.3
    scores = dict(zip(first['gt_answer_label'], first['gt_answer_score']))
    assert scores == {2: 1.0, 3: pytest.approx(0.9), 4: pytest.approx(0.3)}
    second = ds.get_data_info(1)
    assert dict(zip(second['gt_answer_label'], second['gt_answer_score'])) == \
        {0: 1.0, 1: pytest.approx(0.3)}
    assert [answer_score(n) for n in range(6)] == pytest.approx([0, .3, .6, .9, 1, 1])


def test_vqa_test_split_without_answers(vqa_files):
    ds = VQAv2Dataset(data_root=vqa_files['root'], data_prefix='val2014',
                      question_file='q.json')
    info = ds.get_data_info(1)
    assert info['gt_answer'] == [] and info['answer_type'] == ''


def test_vqa_errors(vqa_files, tmp_path):
    root = vqa_files['root']
    with pytest.raises(FileNotFoundError, match='missing.json'):
        VQAv2Dataset(data_root=root, data_prefix='val2014', question_file='missing.json')
    _dump(tmp_path / 'bad_q.json', dict(qs=[]))
    with pytest.raises(AnnotationError, match="bad_q.json.*lacks the key.*questions"):
        VQAv2Dataset(data_root=root, data_prefix='val2014', question_file='bad_q.json')
    _dump(tmp_path / 'one_a.json', dict(annotations=json.load(open(vqa_files['a']))
                                        ['annotations'][:1]))
    with pytest.raises(AnnotationError, match='no annotation for question_id 42000'):
        VQAv2Dataset(data_root=root, data_prefix='val2014', question_file='q.json',
                     ann_file='one_a.json')
    q = json.load(open(vqa_files['q']))
    q['questions'][0]['image_id'] = 99
    _dump(tmp_path / 'q99.json', q)
    with pytest.raises(AnnotationError, match='no image for image_id 99'):
        VQAv2Dataset(data_root=root, data_prefix='val2014', question_file='q99.json')
    _dump(tmp_path / 'table.json', ['yes', 'yes'])
    with pytest.raises(AnnotationError, match='twice'):
        VQAv2Dataset(data_root=root, data_prefix='val2014', question_file='q.json',
                     answer_table='table.json')


def test_vqa_on_toyworld(toyworld):
    table = build_answer_table(osp.join(toyworld, 'vqa/toyworld_train_annotations.json'),
                               min_count=1)
    ds = VQAv2Dataset(data_root=toyworld, data_prefix='by_id',
                      question_file='vqa/toyworld_val_questions.json',
                      ann_file='vqa/toyworld_val_annotations.json', answer_table=table)
    assert len(ds) > 0
    info = ds.get_data_info(0)
    assert osp.isfile(info['img_path']) and info['answer_type'] in ('yes/no', 'number', 'other')
