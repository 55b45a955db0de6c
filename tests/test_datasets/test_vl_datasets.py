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
from mmvl.datasets.vl import (CC3MPretrain, COCOCaptionPretrain, KarpathyRetrieval,
                              NLVR2Dataset, SBUPretrain, SNLIVEDataset, VGRegionCaptionPretrain,
                              VQAv2Dataset, answer_score, build_answer_table, group_captions)

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


# ----------------------------------------------------------------------------- NLVR2 / SNLI-VE
def _write_lines(path, rows):
    with open(path, 'w') as f:
        for row in rows:
            f.write(row if isinstance(row, str) else json.dumps(row))
            f.write('\n')
    return str(path)


def test_nlvr2_official_jsonl(tmp_path):
    (tmp_path / 'dev').mkdir()
    for i in range(2):
        _image(tmp_path / 'dev' / f'dev-850-0-img{i}.png')
    rows = [dict(identifier='dev-850-0-0', sentence='One image has a dog.', label='True',
                 left_url='u0', right_url='u1', synset='dog', query='dog 1'),
            dict(identifier='dev-850-0-1', sentence='No dogs.', label='False')]
    _write_lines(tmp_path / 'dev.json', rows)
    ds = NLVR2Dataset(data_root=str(tmp_path), ann_file='dev.json', data_prefix='dev')
    assert [ds.get_data_info(i)['gt_label'] for i in range(2)] == [1, 0]
    paths = ds.get_data_info(1)['img_path']
    assert [osp.basename(p) for p in paths] == ['dev-850-0-img0.png', 'dev-850-0-img1.png']

    _write_lines(tmp_path / 'bad.json', [rows[0], '{"identifier": "dev-1-0-0"'])
    with pytest.raises(AnnotationError, match=r'bad.json, line 2: not json'):
        NLVR2Dataset(data_root=str(tmp_path), ann_file='bad.json', data_prefix='dev')
    _write_lines(tmp_path / 'label.json', [dict(rows[0], label='yes')])
    with pytest.raises(AnnotationError, match=r'line 1: label must be "True" or "False"'):
        NLVR2Dataset(data_root=str(tmp_path), ann_file='label.json', data_prefix='dev')
    with pytest.raises(FileNotFoundError, match='NLVR2 image not found'):
        NLVR2Dataset(data_root=str(tmp_path), ann_file='dev.json', data_prefix='train')


def test_nlvr2_train_directory_field(tmp_path):
    """Official train lines name their image sub-folder in `directory`."""
    (tmp_path / 'train' / '37').mkdir(parents=True)
    for i in range(2):
        _image(tmp_path / 'train' / '37' / f'train-10171-0-img{i}.png')
    _write_lines(tmp_path / 'train.json', [dict(
        identifier='train-10171-0-0', sentence='There are two dogs.', label='False',
        directory=37, synset='n02084071', query='dog 5', left_url='l', right_url='r',
        writer='71', extra_validations={}, validation={})])
    ds = NLVR2Dataset(data_root=str(tmp_path), ann_file='train.json', data_prefix='train')
    info = ds.get_data_info(0)
    assert info['img_path'] == [str(tmp_path / 'train' / '37' / f'train-10171-0-img{i}.png')
                                for i in range(2)]
    assert info['gt_label'] == 0 and info['identifier'] == 'train-10171-0-0'


def test_nlvr2_on_toyworld(toyworld):
    ds = NLVR2Dataset(data_root=toyworld, ann_file='nlvr2/dev.json',
                      data_prefix='nlvr2/images/dev')
    assert len(ds) > 0 and all(osp.isfile(p) for p in ds.get_data_info(0)['img_path'])


def test_snli_ve(tmp_path):
    rows = [dict(Flickr30K_ID='1000092795', sentence1='Two men outside.',
                 sentence2='Two people are outdoors.', gold_label='entailment', pairID='p0',
                 captionID='c0'),
            dict(Flickr30K_ID='1000092795', sentence1='Two men outside.',
                 sentence2='They sleep.', gold_label='contradiction', pairID='p1')]
    _write_lines(tmp_path / 'snli_ve_dev.jsonl', rows)
    ds = SNLIVEDataset(data_root=str(tmp_path), ann_file='snli_ve_dev.jsonl',
                       data_prefix='flickr30k_images')
    first = ds.get_data_info(0)
    assert first['gt_label'] == 0 and ds.get_data_info(1)['gt_label'] == 2
    assert first['img_path'].endswith('flickr30k_images/1000092795.jpg')
    assert first['text'] == 'Two people are outdoors.'
    assert ds.metainfo['classes'] == ('entailment', 'neutral', 'contradiction')
    _write_lines(tmp_path / 'bad.jsonl', [dict(rows[0], gold_label='-')])
    with pytest.raises(AnnotationError, match='bad.jsonl, line 1: gold_label'):
        SNLIVEDataset(data_root=str(tmp_path), ann_file='bad.jsonl')
    _write_lines(tmp_path / 'keys.jsonl', [dict(sentence2='x', gold_label='neutral')])
    with pytest.raises(AnnotationError, match="lacks the key.*Flickr30K_ID"):
        SNLIVEDataset(data_root=str(tmp_path), ann_file='keys.jsonl')


# ----------------------------------------------------------------------------------- Karpathy
def _karpathy(tmp_path, splits):
    images = []
    sent = 0
    for i, split in enumerate(splits):
        sentences = []
        for _ in range(2):
            sentences.append(dict(raw=f'caption {sent}', tokens=['caption', str(sent)],
                                  sentid=sent, imgid=i))
            sent += 1
        images.append(dict(filepath='val2014', filename=f'COCO_val2014_{i:012d}.jpg',
                           imgid=i, cocoid=i, split=split, sentences=sentences))
    return _dump(tmp_path / 'dataset_coco.json', dict(images=images, dataset='coco'))


def test_karpathy_retrieval_splits_and_folds(tmp_path):
    _karpathy(tmp_path, ['train', 'restval', 'test', 'test', 'test', 'val'])
    kw = dict(data_root=str(tmp_path), data_prefix='coco', ann_file='dataset_coco.json')
    train = KarpathyRetrieval(split='train', **kw)
    assert len(train) == 4 and train.img_size == 2  # train + restval, 2 captions each
    assert train.get_data_info(2)['text'] == 'caption 2'
    assert train.get_data_info(2)['img_path'].endswith('coco/val2014/COCO_val2014_000000000001'
                                                       '.jpg')
    assert len(KarpathyRetrieval(split='train', include_restval=False, **kw)) == 2
    test = KarpathyRetrieval(split='test', test_mode=True, **kw)
    assert test.img_size == 3 and test.text_size == 6 and len(test) == 3
    item = test.get_data_info(1)
    assert item['gt_text_id'] == [2, 3] and item['gt_image_id'] == [1, 1]
    assert test.texts[item['gt_text_id'][0]] == item['text'][0] == 'caption 6'
    fold = KarpathyRetrieval(split='test', test_mode=True, fold=1, fold_size=2, **kw)
    assert fold.img_size == 1 and fold.get_data_info(0)['text'] == ['caption 8', 'caption 9']
    assert fold.get_data_info(0)['gt_text_id'] == [0, 1]  # re-indexed within the fold
    with pytest.raises(ValueError, match='fold 2 of 2 images is empty'):
        KarpathyRetrieval(split='test', test_mode=True, fold=2, fold_size=2, **kw)
    _dump(tmp_path / 'bad.json', dict(images=[dict(filename='a.jpg', split='test')]))
    with pytest.raises(AnnotationError, match=r"images\[0\] lacks the key.*sentences"):
        KarpathyRetrieval(data_root=str(tmp_path), data_prefix='', ann_file='bad.json',
                          split='test')


def test_karpathy_on_toyworld(toyworld):
    ds = KarpathyRetrieval(data_root=toyworld, data_prefix='',
                           ann_file='annotations/karpathy_toyworld.json', split='test',
                           test_mode=True)
    assert ds.img_size > 0 and ds.text_size == 5 * ds.img_size
    assert osp.isfile(ds.get_data_info(0)['img_path'])


# ------------------------------------------------------------------------------ pre-training
def test_coco_captions_grouped(toyworld, tmp_path):
    ds = COCOCaptionPretrain(data_root=toyworld, ann_file='annotations/captions_train.json')
    assert osp.isfile(ds.get_data_info(0)['img_path'])
    # 5 captions per image in groups of 4: (c0..c3), (c4, c0, c1, c2)
    grouped = COCOCaptionPretrain(data_root=toyworld, ann_file='annotations/captions_train.json',
                                  group_size=4)
    assert len(grouped) == 2 * len(ds) // 5
    first, second = grouped.get_data_info(0), grouped.get_data_info(1)
    captions = [ds.get_data_info(i)['text'] for i in range(5)]
    assert first['texts'] == captions[:4]
    assert second['texts'] == [captions[4]] + captions[:3]
    assert first['image_id'] == second['image_id'] and 'text' not in first
    assert group_captions([dict(img_path='a', image_id=1, text='x')], 3)[0]['texts'] == \
        ['x'] * 3
    _dump(tmp_path / 'caps.json', dict(images=[dict(id=1, file_name='a.jpg')],
                                       annotations=[dict(image_id=2, caption='c')]))
    with pytest.raises(AnnotationError, match='image_id 2 is not in images'):
        COCOCaptionPretrain(data_root=str(tmp_path), ann_file='caps.json')


def test_vg_region_captions(tmp_path):
    regions = [dict(id=10, regions=[
        dict(region_id=1, image_id=10, phrase='a red circle ', x=1, y=2, width=3, height=4),
        dict(region_id=2, image_id=10, phrase='sky', x=0, y=0, width=5, height=5)]),
        dict(id=11, regions=[dict(region_id=3, image_id=11, phrase='a dog', x=0, y=0,
                                  width=1, height=1)])]
    _dump(tmp_path / 'region_descriptions.json', regions)
    ds = VGRegionCaptionPretrain(data_root=str(tmp_path), ann_file='region_descriptions.json',
                                 data_prefix='images')
    assert len(ds) == 3
    first = ds.get_data_info(0)
    assert first['text'] == 'a red circle' and first['region'] == [1, 2, 3, 4]
    assert first['img_path'].endswith('images/10.jpg')
    only = VGRegionCaptionPretrain(data_root=str(tmp_path), ann_file='region_descriptions.json',
                                   image_ids=[11])
    assert len(only) == 1
    _dump(tmp_path / 'bad.json', [dict(id=1, regions=[dict(image_id=1)])])
    with pytest.raises(AnnotationError, match=r"regions\[0\] lacks the key.*phrase"):
        VGRegionCaptionPretrain(data_root=str(tmp_path), ann_file='bad.json')


def test_cc3m_and_sbu_lists(tmp_path):
    (tmp_path / 'img').mkdir()
    for i in (0, 2):
        _image(tmp_path / 'img' / f'{i:08d}.jpg')
    with open(tmp_path / 'cc3m.tsv', 'w') as f:
        f.write('a dog on grass\thttp://x/0.jpg\nbroken link\thttp://x/1.jpg\n'
                'a red car\thttp://x/2.jpg\n')
    ds = CC3MPretrain(data_root=str(tmp_path), ann_file='cc3m.tsv', data_prefix='img')
    assert [ds.get_data_info(i)['text'] for i in range(len(ds))] == ['a dog on grass',
                                                                       'a red car']
    assert ds.get_data_info(1)['image_id'] == 2
    with open(tmp_path / 'bad.tsv', 'w') as f:
        f.write('no tab here\n')
    with pytest.raises(AnnotationError, match='bad.tsv, line 1: expected'):
        CC3MPretrain(data_root=str(tmp_path), ann_file='bad.tsv', data_prefix='img')
    with pytest.raises(FileNotFoundError, match='no image of'):
        CC3MPretrain(data_root=str(tmp_path), ann_file='cc3m.tsv', data_prefix='nothing')

    (tmp_path / 'caps.txt').write_text('first caption\nsecond\nthird\n')
    (tmp_path / 'urls.txt').write_text('http://a\nhttp://b\nhttp://c\n')
    sbu = SBUPretrain(data_root=str(tmp_path), ann_file='caps.txt', url_file='urls.txt',
                      data_prefix='img')
    assert [sbu.get_data_info(i)['url'] for i in range(len(sbu))] == ['http://a', 'http://c']
    (tmp_path / 'urls2.txt').write_text('http://a\n')
    with pytest.raises(AnnotationError, match='3 captions but .*urls2.txt has 1 urls'):
        SBUPretrain(data_root=str(tmp_path), ann_file='caps.txt', url_file='urls2.txt',
                    data_prefix='img')


def test_karpathy_val_test_images_left_out_of_pretraining(tmp_path):
    karpathy = dict(images=[dict(cocoid=1, split='train', filename='a', sentences=[]),
                            dict(cocoid=2, split='test', filename='b', sentences=[]),
                            dict(cocoid=3, split='val', filename='c', sentences=[])])
    _dump(tmp_path / 'dataset_coco.json', karpathy)
    _dump(tmp_path / 'caps.json', dict(
        images=[dict(id=i, file_name=f'{i}.jpg') for i in (1, 2, 3)],
        annotations=[dict(image_id=i, caption=f'c{i}') for i in (1, 2, 3)]))
    ds = COCOCaptionPretrain(data_root=str(tmp_path), ann_file='caps.json',
                             karpathy_exclude='dataset_coco.json')
    assert [ds.get_data_info(i)['image_id'] for i in range(len(ds))] == [1]
    _dump(tmp_path / 'regions.json', [
        dict(id=i, regions=[dict(image_id=i, phrase=f'p{i}')]) for i in (10, 11, 12)])
    _dump(tmp_path / 'image_data.json', [dict(image_id=10, coco_id=2),
                                         dict(image_id=11, coco_id=None),
                                         dict(image_id=12, coco_id=1)])
    vg = VGRegionCaptionPretrain(data_root=str(tmp_path), ann_file='regions.json',
                                 karpathy_exclude='dataset_coco.json',
                                 image_data='image_data.json')
    assert [vg.get_data_info(i)['image_id'] for i in range(len(vg))] == [11, 12]
    with pytest.raises(ValueError, match='needs image_data'):
        VGRegionCaptionPretrain(data_root=str(tmp_path), ann_file='regions.json',
                                karpathy_exclude='dataset_coco.json')


# ------------------------------------------------------------------------- data base configs
VL_BASES = ['toyworld_vqa.py', 'toyworld_nlvr2.py', 'toyworld_retrieval.py',
            'toyworld_caption_pretrain.py']
PAPER_BASES = ['vqav2.py', 'nlvr2.py', 'coco_retrieval.py', 'flickr30k_retrieval.py',
               'snli_ve.py', 'vl_pretrain_coco_vg.py']


@pytest.fixture(scope='module')
def toyworld_with_table(toyworld):
    table = osp.join(toyworld, 'vqa', 'answer_table.json')
    if not osp.isfile(table):
        _dump(table, build_answer_table(
            osp.join(toyworld, 'vqa/toyworld_train_annotations.json'), min_count=1))
    return toyworld


@pytest.mark.parametrize('name', VL_BASES)
def test_toyworld_base_configs_load_a_batch(name, toyworld_with_table):
    """Every toy-world VL data base builds its sets and turns two samples into a padded batch."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmvl.registry import DATASETS, MODELS
    from mmvl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name))
    preprocessor = MODELS.build(cfg.data_preprocessor)
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset_cfg = cfg[split].dataset
        dataset_cfg.data_root = toyworld_with_table + '/'
        dataset = DATASETS.build(dataset_cfg)
        batch = preprocessor(pseudo_collate([dataset[0], dataset[1]]))
        images = batch['images']
        assert images.shape[-2] % 32 == 0 and images.shape[-1] % 32 == 0
        sample = batch['data_samples'][0]
        if name == 'toyworld_vqa.py':
            assert sample.question and len(sample.gt_answer) == 10
            assert len(sample.gt_answer_label) == len(sample.gt_answer_score) > 0
        elif name == 'toyworld_nlvr2.py':
            assert images.shape[1] == 2 and int(sample.gt_label) in (0, 1)
        elif name == 'toyworld_retrieval.py' and dataset.test_mode:
            assert len(sample.text) == len(sample.gt_text_id) == 5
        else:
            assert isinstance(sample.text, str)


@pytest.mark.parametrize('name', PAPER_BASES)
def test_paper_base_configs_parse_and_build_pipelines(name):
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmvl.registry import DATASETS, MODELS
    from mmvl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name))
    MODELS.build(cfg.data_preprocessor)
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if split not in cfg:
            continue
        dataset_cfg = cfg[split].dataset
        for sub in dataset_cfg.get('datasets', [dataset_cfg]):
            assert DATASETS.get(sub.type) is not None, sub.type
            Compose(sub.pipeline)
