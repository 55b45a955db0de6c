# Copyright (c) mmvl contributors. All rights reserved.
"""RefCOCODataset on the toy world's refer-API files (session fixture ``toyworld``)."""
import json
import os.path as osp
import pickle
import shutil
from collections import Counter

import pytest

from mmvl.datasets import AnnotationError, RefCOCODataset
from mmvl.registry import DATASETS

FILES = dict(ann_file='refcoco/instances.json', split_file='refcoco/refs(unc).p')


def _refs(root):
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'rb') as f:
        return pickle.load(f)


def _copy_refcoco(root, tmp_path):
    """A writable copy of the toy world's refcoco folder (images are not needed)."""
    shutil.copytree(osp.join(root, 'refcoco'), tmp_path / 'refcoco')
    return str(tmp_path)


def test_one_entry_per_ref_and_per_sentence(toyworld):
    refs = _refs(toyworld)
    counts = Counter(r['split'] for r in refs)
    sentences = Counter()
    for r in refs:
        sentences[r['split']] += len(r['sentences'])
    assert len(counts) >= 3
    for split, num in counts.items():
        per_ref = RefCOCODataset(data_root=toyworld, split=split, **FILES)
        per_sentence = RefCOCODataset(data_root=toyworld, split=split, per_sentence=True,
                                      **FILES)
        assert len(per_ref) == num
        assert len(per_sentence) == sentences[split] > num
        assert all(len(per_sentence[i]['texts']) == 1 for i in range(len(per_sentence)))
        assert per_ref.metainfo['classes'] == ('object', )


def test_entry_contents(toyworld):
    with open(osp.join(toyworld, 'refcoco', 'instances.json')) as f:
        instances = json.load(f)
    anns = {a['id']: a for a in instances['annotations']}
    images = {i['id']: i for i in instances['images']}
    ref = next(r for r in _refs(toyworld) if r['split'] == 'train')
    dataset = DATASETS.build(dict(type='RefCOCODataset', data_root=toyworld, split='train',
                                  data_prefix=dict(img_path='imgs/'), **FILES))
    entry = dataset.get_data_info(0)
    ann, img = anns[ref['ann_id']], images[anns[ref['ann_id']]['image_id']]
    x, y, w, h = ann['bbox']
    assert entry['ref_id'] == ref['ref_id'] and entry['task'] == 'grounding'
    assert entry['img_id'] == img['id'] and (entry['height'], entry['width']) == (
        img['height'], img['width'])
    assert entry['img_path'] == osp.join(toyworld, 'imgs', img['file_name'])
    assert entry['texts'] == [s['sent'] for s in ref['sentences']]
    assert entry['instances'] == [
        dict(bbox=[x, y, x + w, y + h], bbox_label=0, mask=ann['segmentation'], ignore_flag=0)
    ]
    sentence_entries = RefCOCODataset(data_root=toyworld, split='train', per_sentence=True,
                                      **FILES)
    firsts = [sentence_entries[i] for i in range(len(ref['sentences']))]
    assert [e['texts'][0] for e in firsts] == entry['texts']
    assert {e['ref_id'] for e in firsts} == {ref['ref_id']}


def test_missing_files_and_unknown_split(toyworld, tmp_path):
    with pytest.raises(FileNotFoundError, match='data root'):
        RefCOCODataset(data_root=str(tmp_path / 'nowhere'), **FILES)
    with pytest.raises(FileNotFoundError, match='instances file.*nope.json'):
        RefCOCODataset(data_root=toyworld, ann_file='refcoco/nope.json',
                       split_file=FILES['split_file'])
    with pytest.raises(FileNotFoundError, match=r'refs file.*refs\(umd\).p'):
        RefCOCODataset(data_root=toyworld, ann_file=FILES['ann_file'],
                       split_file='refcoco/refs(umd).p')
    with pytest.raises(AnnotationError, match=r"no refs of split 'test';.*'testA'.*'train'"):
        RefCOCODataset(data_root=toyworld, split='test', **FILES)


def test_ref_with_unknown_annotation(toyworld, tmp_path):
    root = _copy_refcoco(toyworld, tmp_path)
    refs = _refs(toyworld)
    refs[0]['ann_id'] = 10**9
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f)
    with pytest.raises(AnnotationError,
                       match=rf"refs\(unc\).p: ref {refs[0]['ref_id']} refers to ann_id "
                       r'1000000000, which is not an annotation of .*instances.json'):
        RefCOCODataset(data_root=root, split=refs[0]['split'], **FILES)


def test_not_a_refs_pickle(toyworld, tmp_path):
    root = _copy_refcoco(toyworld, tmp_path)
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        f.write(b'not a pickle')
    with pytest.raises(AnnotationError, match='not a refer-API refs pickle'):
        RefCOCODataset(data_root=root, **FILES)


def test_compositions_per_ref_and_per_sentence(toyworld):
    """MCRES fields: the refs' own compositions, per sentence and as the ref's union."""
    refs = [r for r in _refs(toyworld) if r['split'] == 'train']
    per_ref = RefCOCODataset(data_root=toyworld, **FILES)
    per_sentence = RefCOCODataset(data_root=toyworld, per_sentence=True, **FILES)
    k = 0
    for i, ref in enumerate(refs):
        expected = [[tuple(u) for u in s['compositions']] for s in ref['sentences']]
        entry = per_ref.get_data_info(i)
        assert entry['sentence_compositions'] == expected
        assert entry['compositions'] == list(dict.fromkeys(u for e in expected for u in e))
        assert entry['compositions'] == [tuple(u) for u in ref['compositions']]
        for units in expected:
            sentence = per_sentence.get_data_info(k)
            assert sentence['compositions'] == units
            assert sentence['sentence_compositions'] == [units]
            k += 1
    # the toy world's compositions are exactly what ConceptParser finds
    parsed = RefCOCODataset(data_root=toyworld, compositions_from='parser', **FILES)
    assert [parsed.get_data_info(i)['sentence_compositions'] for i in range(len(parsed))] == [
        per_ref.get_data_info(i)['sentence_compositions'] for i in range(len(per_ref))]
    none = RefCOCODataset(data_root=toyworld, compositions_from=None, **FILES)
    assert 'compositions' not in none.get_data_info(0)
    assert 'sentence_compositions' not in none.get_data_info(0)


def test_compositions_without_the_field(toyworld, tmp_path):
    root = _copy_refcoco(toyworld, tmp_path)
    refs = _refs(toyworld)
    for ref in refs:
        for sentence in ref['sentences']:
            del sentence['compositions']
    refs[0]['sentences'][0]['sent'] = 'man in red shirt next to the woman'
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f)
    split = refs[0]['split']
    with pytest.raises(AnnotationError, match=r"ref \d+: a sentence has no 'compositions'"):
        RefCOCODataset(data_root=root, split=split, compositions_from='refs', **FILES)
    parsed = RefCOCODataset(data_root=root, split=split, per_sentence=True, **FILES)
    assert ('man', 'next to', 'woman') in parsed.get_data_info(0)['compositions']
    previous = RefCOCODataset(data_root=root, split=split, per_sentence=True,
                              parser=dict(relation_subject='previous'), **FILES)
    assert ('shirt', 'next to', 'woman') in previous.get_data_info(0)['compositions']
    with pytest.raises(ValueError, match="compositions_from must be 'auto', 'refs'"):
        RefCOCODataset(data_root=root, compositions_from='field', **FILES)


def test_novelty_filter_keeps_the_expressions_of_the_given_levels(toyworld, tmp_path):
    """Levels against every expression of another split, on hand-written refs: the pair
    (red, circle) and the triplet (star, above, square) never occur in `train`."""
    root = _copy_refcoco(toyworld, tmp_path)
    ann_id = _refs(toyworld)[0]['ann_id']

    def ref(ref_id, split, *sentences):
        return dict(ref_id=ref_id, ann_id=ann_id, split=split, sentences=[
            dict(sent=s, sent_id=100 * ref_id + i) for i, s in enumerate(sentences)])

    refs = [
        ref(1, 'train', 'the red square', 'the blue circle', 'the star below the square',
            'the square above the circle'),
        ref(2, 'test', 'the red circle',  # level 1: unseen pair of seen words
            'the star above the square',  # level 2: unseen triplet of seen words
            'the blue circle',  # level 0
            'the purple circle'),  # -1: "purple" never seen
    ]
    with open(osp.join(root, 'refcoco', 'refs(unc).p'), 'wb') as f:
        pickle.dump(refs, f)

    def texts(levels):
        dataset = RefCOCODataset(data_root=root, split='test', per_sentence=True,
                                 novelty=dict(seen_split='train', levels=levels),
                                 compositions_from='parser', **FILES)
        return {dataset.get_data_info(i)['texts'][0]: dataset.get_data_info(i)['novelty_level']
                for i in range(len(dataset))}

    assert texts((1, 2)) == {'the red circle': 1, 'the star above the square': 2}
    assert texts((0, )) == {'the blue circle': 0}
    assert texts((-1, )) == {'the purple circle': -1}
    with pytest.raises(AnnotationError, match=r"has no refs of split 'val' \(novelty"):
        RefCOCODataset(data_root=root, split='test', per_sentence=True,
                       novelty=dict(seen_split='val', levels=(1, )), **FILES)
    with pytest.raises(AnnotationError, match=r"novelty level in \[5\] w.r.t. split 'train'"):
        RefCOCODataset(data_root=root, split='test', per_sentence=True,
                       novelty=dict(seen_split='train', levels=(5, )), **FILES)
    with pytest.raises(ValueError, match='needs per_sentence=True'):
        RefCOCODataset(data_root=root, split='test',
                       novelty=dict(seen_split='train', levels=(1, )), **FILES)
    with pytest.raises(ValueError, match=r'novelty must be dict\(seen_split'):
        RefCOCODataset(data_root=root, split='test', per_sentence=True,
                       novelty=dict(split='train', levels=(1, )), **FILES)
