# Copyright (c) mmvl contributors. All rights reserved.
"""tools/dataset_converters/compositional_split.py on a copy of the toy world's refs."""
import importlib.util
import os.path as osp
import pickle
import re
import shutil
import subprocess
import sys

import pytest

from mmvl.datasets import RefCOCODataset
from mmvl.datasets.compositions import concepts_of
from mmvl.testing import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'compositional_split.py')


def _tool():
    spec = importlib.util.spec_from_file_location('compositional_split', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def refcoco(toyworld, tmp_path):
    """A writable copy of the toy world's refcoco folder."""
    shutil.copytree(osp.join(toyworld, 'refcoco'), tmp_path / 'refcoco')
    return str(tmp_path / 'refcoco')


def _load(path):
    with open(path, 'rb') as f:
        return pickle.load(f)


def _units(sentence):
    return {tuple(u) for u in sentence['compositions']}


def test_split_is_compositional_and_by_image(refcoco):
    src = osp.join(refcoco, 'refs(unc).p')
    proc = subprocess.run([sys.executable, TOOL, src, '--seed', '1', '--novel-ratio', '0.25'],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = osp.join(refcoco, 'refs(unc-comp).p')
    assert f'wrote {out}' in proc.stdout and 'test_novel:' in proc.stdout
    refs, new = _load(src), _load(out)
    by_split = {s: [r for r in new if r['split'] == s] for s in ('train', 'test_seen',
                                                              'test_novel')}
    assert sum(map(len, by_split.values())) == len(new) and all(by_split.values())
    train_images = {r['image_id'] for r in by_split['train']}
    test_images = {r['image_id'] for s in ('test_seen', 'test_novel') for r in by_split[s]}
    assert not train_images & test_images
    train_units = {u for r in by_split['train'] for s in r['sentences'] for u in _units(s)}
    train_concepts = concepts_of(train_units)
    for ref in by_split['test_novel']:
        for sentence in ref['sentences']:
            assert _units(sentence) - train_units, sentence['sent']
            assert concepts_of(_units(sentence)) <= train_concepts, sentence['sent']
    for ref in by_split['test_seen']:
        for sentence in ref['sentences']:
            assert _units(sentence) <= train_units, sentence['sent']
    # train refs are unchanged; test refs keep a subset of their sentences, ids in step
    old = {r['ref_id']: r for r in refs}
    for ref in new:
        assert ref['sent_ids'] == [s['sent_id'] for s in ref['sentences']]
        assert ref['compositions'] == [list(u) for u in dict.fromkeys(
            tuple(u) for s in ref['sentences'] for u in s['compositions'])]
        kept = [s['sent_id'] for s in old[ref['ref_id']]['sentences']]
        if ref['split'] == 'train':
            assert ref['sentences'] == old[ref['ref_id']]['sentences']
        else:
            assert set(ref['sent_ids']) <= set(kept)
    # the new file reads like any refs file
    dataset = RefCOCODataset(data_root=osp.dirname(refcoco), ann_file='refcoco/instances.json',
                             split_file='refcoco/refs(unc-comp).p', split='test_novel',
                             per_sentence=True)
    assert len(dataset) == sum(len(r['sentences']) for r in by_split['test_novel'])


def test_seed_and_parse_in_process(refcoco, capsys):
    tool = _tool()
    src = osp.join(refcoco, 'refs(unc).p')
    assert tool.main([src, '--name', 'a', '--seed', '0', '--novel-ratio', '0.25']) == 0
    assert tool.main([src, '--name', 'b', '--seed', '0', '--novel-ratio', '0.25']) == 0
    assert tool.main([src, '--name', 'c', '--seed', '0', '--novel-ratio', '0.25',
                      '--parse']) == 0
    a, b, c = (_load(osp.join(refcoco, f'refs({n}).p')) for n in 'abc')
    assert a == b == c  # the toy world's compositions are what the parser finds
    assert tool.main([src, '--name', 'd', '--seed', '3', '--novel-ratio', '0.25']) == 0
    assert _load(osp.join(refcoco, 'refs(d).p')) != a
    assert 'held out' in capsys.readouterr().out


@pytest.mark.parametrize('args,message', [
    (['--novel-ratio', '0'], r'--novel-ratio: must be in \(0, 1\)'),
    (['--novel-ratio', '0.6', '--seen-ratio', '0.5'], '--seen-ratio: must be in'),
    (['--name', 'unc'], 'the output would replace the input'),
    (['--name', 'a/b'], '--name: use letters'),
    (['--val-ratio', '0.8'], '--val-ratio: must be in'),
    (['--parser-cfg', '{"relation_subject": "last"}'], "--parser-cfg: relation_subject must be"),
    (['--parser-cfg', 'not json'], '--parser-cfg: Expecting value'),
])
def test_bad_arguments(refcoco, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        _tool().main([osp.join(refcoco, 'refs(unc).p'), *args])
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_existing_output_needs_overwrite(refcoco, capsys):
    tool = _tool()
    src = osp.join(refcoco, 'refs(unc).p')
    assert tool.main([src, '--novel-ratio', '0.25']) == 0
    with pytest.raises(SystemExit):
        tool.main([src, '--novel-ratio', '0.25'])
    assert 'pass --overwrite' in capsys.readouterr().err
    assert tool.main([src, '--novel-ratio', '0.25', '--overwrite']) == 0


def test_parsed_refs_with_a_val_split(tmp_path):
    """Hand-written RefCOCO-style refs without ``compositions`` fields: every unit comes from
    the parser (with a relation added through --parser-cfg), and --val-ratio draws a
    seen-composition val split from images that training no longer has."""
    colours, nouns = ('red', 'blue', 'green', 'white'), ('cup', 'plate', 'chair', 'dog')
    refs, ref_id = [], 0
    for image in range(48):
        colour, noun = colours[image % 4], nouns[(image // 4) % 4]
        other = nouns[(image + 1) % 4]
        sentences = [f'the {colour} {noun}', f'{noun} beside the {other}',
                     f'the {noun} near the {colour} {other}']
        refs.append(dict(ref_id=ref_id, ann_id=ref_id, image_id=image, split='train',
                         sentences=[dict(sent=t, sent_id=3 * ref_id + i)
                                    for i, t in enumerate(sentences)]))
        ref_id += 1
    src = tmp_path / 'refs(umd).p'
    with open(src, 'wb') as f:
        pickle.dump(refs, f)
    tool = _tool()
    parser_cfg = '{"extra_relations": {"beside": "beside"}}'
    assert tool.main([str(src), '--novel-ratio', '0.2', '--seen-ratio', '0.15',
                      '--val-ratio', '0.15', '--seed', '3', '--parser-cfg', parser_cfg]) == 0
    out = _load(tmp_path / 'refs(umd-comp).p')
    parser = tool.ConceptParser(extra_relations={'beside': 'beside'})
    assert ('cup', 'beside', 'plate') in parser.compositions('cup beside the plate')
    by_split = {split: [r for r in out if r['split'] == split] for split in tool.SPLITS}
    assert all(by_split[split] for split in tool.SPLITS), {k: len(v) for k, v in by_split.items()}
    images = {split: {r['image_id'] for r in rs} for split, rs in by_split.items()}
    for split in ('val', 'test_seen', 'test_novel'):
        assert not images[split] & images['train']
    assert not images['val'] & (images['test_seen'] | images['test_novel'])
    train_units = {u for r in by_split['train'] for s in r['sentences']
                   for u in parser.compositions(s['sent'])}
    for r in by_split['val'] + by_split['test_seen']:
        for s in r['sentences']:
            assert set(parser.compositions(s['sent'])) <= train_units
    for r in by_split['test_novel']:
        for s in r['sentences']:
            assert set(parser.compositions(s['sent'])) - train_units
