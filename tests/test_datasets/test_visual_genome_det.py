"""Visual Genome objects + attributes: the toy converter writes the real VG layout and the
dataset reads it back (classes, aliases, attributes, splits) with clear errors."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmvl.datasets import AnnotationError, VisualGenomeDetDataset
from mmvl.testing import REPO_ROOT


def write_vg(root, objects_vocab='person,people\ndog\n', attributes_vocab='red\nsmall\n'):
    images = [dict(image_id=7, url='https://x/VG_100K/7.jpg', width=100, height=80)]
    objects = [dict(image_id=7, objects=[
        dict(object_id=1, x=1, y=2, w=10, h=20, names=['People']),
        dict(object_id=2, x=5, y=5, w=30, h=30, names=['dog']),
        dict(object_id=3, x=5, y=5, w=30, h=30, names=['unicorn']),  # not in the vocabulary
    ])]
    attributes = [dict(image_id=7, attributes=[
        dict(object_id=1, attributes=['small', 'Red', 'small', 'shiny']),
        dict(object_id=2),
    ])]
    for name, data in (('image_data', images), ('objects', objects),
                       ('attributes', attributes)):
        with open(osp.join(root, f'{name}.json'), 'w') as f:
            json.dump(data, f)
    with open(osp.join(root, 'objects_vocab.txt'), 'w') as f:
        f.write(objects_vocab)
    with open(osp.join(root, 'attributes_vocab.txt'), 'w') as f:
        f.write(attributes_vocab)
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('vg/VG_100K/7.jpg vg/xml/7.xml\n')


def test_vg_objects_aliases_and_attributes(tmp_path):
    write_vg(str(tmp_path))
    ds = VisualGenomeDetDataset(data_root=str(tmp_path), split_file='train.txt',
                                data_prefix=dict(img='images'), pipeline=[])
    assert ds.metainfo['classes'] == ('person', 'dog')
    assert ds.metainfo['attributes'] == ('red', 'small')
    info = ds[0]
    assert info['img_path'] == osp.join(str(tmp_path), 'images', 'VG_100K', '7.jpg')
    assert [ins['bbox_label'] for ins in info['instances']] == [0, 1]  # unicorn dropped
    assert info['instances'][0]['bbox'] == [1., 2., 11., 22.]
    # alias lookup, case folding, duplicates removed, unknown attributes dropped
    assert info['instances'][0]['attr_labels'] == [1, 0]
    assert info['instances'][1]['attr_labels'] == []


def test_vg_clear_errors(tmp_path):
    write_vg(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='vocabulary file not found'):
        VisualGenomeDetDataset(data_root=str(tmp_path), objects_vocab='missing.txt')
    with open(tmp_path / 'objects.json', 'w') as f:
        json.dump([dict(image_id=7, objects=[dict(object_id=1, x=1, y=2, w=3)])], f)
    with pytest.raises(AnnotationError, match=r'objects\[0\] lacks the key'):
        VisualGenomeDetDataset(data_root=str(tmp_path))
    with open(tmp_path / 'bad_split.txt', 'w') as f:
        f.write('99\n')
    write_vg(str(tmp_path))
    with pytest.raises(AnnotationError, match='image 99'):
        VisualGenomeDetDataset(data_root=str(tmp_path), split_file='bad_split.txt')


def test_toyworld_to_vg_roundtrip(toyworld, tmp_path):
    out = str(tmp_path / 'vg')
    subprocess.run([sys.executable, osp.join(REPO_ROOT, 'tools/dataset_converters/'
                                             'toyworld_to_vg.py'), toyworld, '--out', out],
                   check=True, capture_output=True)
    with open(osp.join(toyworld, 'annotations', 'instances_val.json')) as f:
        coco = json.load(f)
    ds = VisualGenomeDetDataset(
        data_root=toyworld, ann_file=osp.join(out, 'objects.json'),
        attr_file=osp.join(out, 'attributes.json'),
        image_data_file=osp.join(out, 'image_data.json'),
        objects_vocab=osp.join(out, 'objects_vocab.txt'),
        attributes_vocab=osp.join(out, 'attributes_vocab.txt'),
        split_file=osp.join(out, 'val.txt'), data_prefix=dict(img=''), pipeline=[])
    assert len(ds) == len(coco['images'])
    meta = coco['toyworld']
    attrs = list(meta['colours']) + list(meta['sizes'])
    first = coco['images'][0]
    info = ds[0]
    assert info['img_id'] == first['id'] and osp.isfile(info['img_path'])
    anns = [a for a in coco['annotations'] if a['image_id'] == first['id']]
    assert len(info['instances']) == len(anns)
    for ins, ann in zip(info['instances'], anns):
        assert ds.metainfo['classes'][ins['bbox_label']] == meta['classes'][
            ann['category_id'] - 1]
        assert [attrs[a] for a in ins['attr_labels']] == [ann['colour'], ann['size']]
