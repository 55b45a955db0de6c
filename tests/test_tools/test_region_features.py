"""Region features in the bottom-up-attention layout: npz / tsv writer and reader (fields
consistent, clear errors on corrupt or missing files), the extraction tool on the toy world,
and (slow) the whole rich-region VQA pipeline: detector training -> feature dump -> VQA
training of two seeds -> test dumps -> ensemble."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmvl.datasets import AnnotationError
from mmvl.datasets.region_features import (BUTD_FIELDS, RegionFeatureReader,
                                           append_region_tsv, write_region_npz)
from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT, get_config_path, get_model_cfg

DET_CONFIG = 'rich_region_vqa/faster-rcnn-attr_r18_fpn_1xb4-800it_toyworld-vg.py'
VQA_CONFIG = 'rich_region_vqa/butd-bert-minilm_toy-r18-regions_1xb32-1500it_toyworld-vqa.py'


def record(image_id=3, k=5, c=8):
    rng = np.random.RandomState(image_id)
    return dict(image_id=image_id, image_w=40, image_h=30, num_boxes=k,
                boxes=rng.rand(k, 4).astype(np.float32), features=rng.rand(k, c),
                objects_id=np.arange(k), objects_conf=rng.rand(k), attrs_id=np.arange(k),
                attrs_conf=rng.rand(k))


@pytest.mark.parametrize('kind', ['npz', 'tsv'])
def test_write_then_read_back(tmp_path, kind):
    recs = [record(3), record(4, k=10)]
    for rec in recs:
        if kind == 'npz':
            write_region_npz(str(tmp_path), rec)
        else:
            append_region_tsv(str(tmp_path / 'feats.tsv'), rec)
    reader = RegionFeatureReader(str(tmp_path) if kind == 'npz' else str(tmp_path / 'feats.tsv'))
    for rec in recs:
        got = reader.load(rec['image_id'])
        assert set(BUTD_FIELDS) <= set(got)
        assert got['num_boxes'] == len(got['boxes']) == len(got['features'])
        np.testing.assert_array_equal(got['boxes'], rec['boxes'])
        np.testing.assert_allclose(got['features'], rec['features'].astype(np.float32))
        np.testing.assert_array_equal(got['attrs_id'], rec['attrs_id'])
    if kind == 'tsv':  # the BUTD tsv: six columns first, arrays as base64 float32
        row = open(tmp_path / 'feats.tsv').readline().rstrip('\n').split('\t')
        assert row[:4] == ['3', '40', '30', '5']
    truncated = RegionFeatureReader(reader.path, max_boxes=4).load(4)
    assert truncated['num_boxes'] == 4 and truncated['features'].shape == (4, 8)


def test_inconsistent_records_are_rejected(tmp_path):
    bad = record()
    bad['num_boxes'] = 6
    with pytest.raises(AnnotationError, match='num_boxes is 6 but boxes'):
        write_region_npz(str(tmp_path), bad)
    bad = record()
    del bad['features']
    with pytest.raises(AnnotationError, match=r"lack the field\(s\) \['features'\]"):
        write_region_npz(str(tmp_path), bad)


def test_missing_and_corrupt_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='region features not found'):
        RegionFeatureReader(str(tmp_path / 'nowhere'))
    write_region_npz(str(tmp_path), record(3))
    reader = RegionFeatureReader(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='region features of image 9 not found'):
        reader.load(9)
    with open(tmp_path / '5.npz', 'wb') as f:
        f.write(b'not a zip archive')
    with pytest.raises(AnnotationError, match='5.npz is not a readable npz'):
        reader.load(5)
    np.savez(tmp_path / '6.npz', image_id=6, image_w=1, image_h=1, num_boxes=2,
             boxes=np.zeros((3, 4)), features=np.zeros((2, 4)))
    with pytest.raises(AnnotationError, match='6.npz: num_boxes is 2 but boxes'):
        reader.load(6)
    (tmp_path / 'bad.tsv').write_text('1\t2\t3\n')
    with pytest.raises(AnnotationError, match='line 1 has 3 columns'):
        RegionFeatureReader(str(tmp_path / 'bad.tsv')).load(1)


@pytest.fixture(scope='module')
def toy_vg(toyworld):
    subprocess.run([sys.executable, 'tools/dataset_converters/toyworld_to_vg.py', toyworld],
                   cwd=REPO_ROOT, check=True, capture_output=True)
    return toyworld


def test_extract_tool_writes_the_butd_layout(toy_vg, tmp_path):
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'misc'))
    import extract_region_features
    init_default_scope('mmvl')
    torch.manual_seed(0)
    model = MODELS.build(get_model_cfg(DET_CONFIG))
    ckpt = str(tmp_path / 'det.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = str(tmp_path / 'feats')
    extract_region_features.main([
        get_config_path(DET_CONFIG), ckpt, '--out', out, '--tsv', str(tmp_path / 'f.tsv'),
        '--split-file', 'vg/val.txt', '--min-boxes', '10', '--max-boxes', '12',
        '--cfg-options', f'test_dataloader.dataset.data_root={toy_vg}'
    ])
    ids = [int(line) for line in open(osp.join(toy_vg, 'vg', 'val.txt'))]
    assert sorted(int(f[:-4]) for f in os.listdir(out)) == sorted(ids)
    npz, tsv = RegionFeatureReader(out), RegionFeatureReader(str(tmp_path / 'f.tsv'))
    for image_id in ids:
        rec = npz.load(image_id)
        assert 10 <= rec['num_boxes'] <= 12 and rec['features'].shape[1] == 256
        assert (rec['boxes'][:, [0, 2]] <= rec['image_w']).all() and (rec['boxes'] >= 0).all()
        assert rec['objects_id'].max() < 8 and rec['attrs_id'].max() < 11
        np.testing.assert_array_equal(tsv.load(image_id)['features'], rec['features'])


def run(args, timeout=900):
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f'{args[0]} failed:\n{proc.stderr[-4000:]}'
    return proc


@pytest.mark.slow
def test_rich_region_vqa_pipeline_end_to_end(toy_vg, tmp_path):
    root = toy_vg.rstrip('/') + '/'
    fast = ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
            'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
    det_dir = str(tmp_path / 'det')
    run(['tools/train.py', get_config_path(DET_CONFIG), '--work-dir', det_dir, '--cfg-options',
         *[f'{k}.dataset.data_root={root}' for k in
           ('train_dataloader', 'val_dataloader', 'test_dataloader')], *fast,
         'train_dataloader.batch_size=2', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4'])
    feats = root + 'region_feats_e2e'
    run(['tools/misc/extract_region_features.py', get_config_path(DET_CONFIG),
         osp.join(det_dir, 'iter_4.pth'), '--out', feats, '--split-file', 'vg/train.txt',
         'vg/val.txt', '--cfg-options', f'test_dataloader.dataset.data_root={root}'])
    run(['tools/dataset_converters/build_vqa_answer_table.py',
         root + 'vqa/toyworld_train_annotations.json', '--min-count', '1', '--out',
         root + 'vqa/answer_table.json'])
    vqa_opts = [f'{k}.dataset.data_root={root}' for k in
                ('train_dataloader', 'val_dataloader', 'test_dataloader')] + [
        f'{k}.dataset.feature_dir=region_feats_e2e' for k in
        ('train_dataloader', 'val_dataloader', 'test_dataloader')] + fast + [
        f'model.answer_head.answer_table={root}vqa/answer_table.json', 'train_cfg.max_iters=3',
        'train_cfg.val_interval=3', 'default_hooks.checkpoint.interval=3']
    preds = []
    for seed in (0, 1):
        work = str(tmp_path / f'vqa{seed}')
        run(['tools/train.py', get_config_path(VQA_CONFIG), '--work-dir', work,
             '--cfg-options', *vqa_opts, f'randomness.seed={seed}'])
        preds.append(osp.join(work, 'preds.pkl'))
        run(['tools/test.py', get_config_path(VQA_CONFIG), osp.join(work, 'iter_3.pth'),
             '--work-dir', work, '--out', preds[-1], '--cfg-options', *vqa_opts])
    out = str(tmp_path / 'ens.json')
    run(['tools/analysis_tools/vqa_ensemble.py', '--preds', *preds, '--answer-table',
         root + 'vqa/answer_table.json', '--out-json', out])
    scores = json.load(open(out))['scores']
    assert set(scores) == {'member0', 'member1', 'ensemble'}
    assert all(0 <= s['acc'] <= 100 and 'acc_yes_no' in s for s in scores.values())
