# Copyright (c) mmvl contributors. All rights reserved.
"""VQA and retrieval inferencers on small real models (tiny SOHO / Pixel-BERT-style grid
encoders over the packaged MiniLM) built from the toy-world data bases."""
import json
import os.path as osp

import mmcv
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmvl.apis import InputError, RetrievalInferencer, VQAInferencer
from mmvl.datasets.vl import build_answer_table
from mmvl.testing import REPO_ROOT
from mmvl.testing.vl import tiny_grid_encoder

ENCODER = tiny_grid_encoder()
CAPTIONS = ['a red circle', 'two blue squares above a star', 'a small green triangle']


def _config(base: str, model: dict, toyworld: str) -> Config:
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets', base))
    cfg.default_scope = 'mmvl'
    model['data_preprocessor'] = cfg.data_preprocessor
    cfg.model = model
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[split].dataset.data_root = toyworld + '/'
    return cfg


@pytest.fixture(scope='module')
def table(toyworld):
    path = osp.join(toyworld, 'vqa', 'answer_table.json')
    if not osp.isfile(path):
        with open(path, 'w') as f:
            json.dump(build_answer_table(
                osp.join(toyworld, 'vqa/toyworld_train_annotations.json'), min_count=1), f)
    return path


@pytest.fixture(scope='module')
def vqa(toyworld, table):
    torch.manual_seed(0)
    cfg = _config('toyworld_vqa.py', dict(
        type='GridVLVQA', encoder=ENCODER,
        head=dict(type='VQAClassificationHead', hidden_channels=64, answer_table=table)),
        toyworld)
    return VQAInferencer(cfg, device='cpu', show_progress=False), cfg


def test_vqa_inferencer_matches_the_test_pipeline(vqa, toyworld, tmp_path):
    inferencer, cfg = vqa
    from mmvl.registry import DATASETS
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    info = dataset.get_data_info(0)
    with torch.no_grad():
        expected = inferencer.model.test_step(pseudo_collate([dataset[0]]))[0]
    out = inferencer(info['img_path'], info['question'], out_dir=str(tmp_path), topk=3)
    pred = out['predictions'][0]
    assert pred['question'] == info['question']
    assert pred['pred_answer'] == expected.pred_answer
    assert pred['pred_score'] == pytest.approx(expected.pred_score, abs=1e-5)
    tops = pred['top_answers']
    assert len(tops) == 3 and tops[0] == [pred['pred_answer'], pytest.approx(pred['pred_score'])]
    assert [s for _, s in tops] == sorted((s for _, s in tops), reverse=True)
    name = osp.splitext(osp.basename(info['img_path']))[0]
    assert json.load(open(tmp_path / 'preds' / f'{name}.json'))['pred_answer'] == \
        pred['pred_answer']
    picture = mmcv.imread(str(tmp_path / 'vis' / f'{name}.png'))
    assert picture.shape[1] > 320  # the image plus the answer panel


def test_vqa_inferencer_arrays_lists_and_errors(vqa, toyworld):
    inferencer, _ = vqa
    path = osp.join(toyworld, 'val', '000000.png')
    questions = ['how many circles are there?', 'is there a red star?']
    from_file = inferencer([path, path], questions, batch_size=2)['predictions']
    from_array = inferencer([mmcv.imread(path)] * 2, questions)['predictions']
    assert [p['pred_answer'] for p in from_file] == [p['pred_answer'] for p in from_array]
    assert from_file[1]['question'] == questions[1]
    with pytest.raises(InputError, match='2 images but 3 questions'):
        inferencer([path, path], questions + ['?'])
    with pytest.raises(InputError, match='non-empty'):
        inferencer(path, '  ')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        inferencer(osp.join(toyworld, 'missing.png'), 'what?')


@pytest.fixture(scope='module')
def retrieval(toyworld):
    torch.manual_seed(0)
    cfg = _config('toyworld_retrieval.py', dict(
        type='GridVLRetrieval', encoder=ENCODER, itm_head=dict(type='ITMHead')), toyworld)
    return RetrievalInferencer(cfg, device='cpu')


def test_retrieval_inferencer_scores_every_pair_both_ways(retrieval, toyworld, tmp_path):
    images = [osp.join(toyworld, 'val', f'{i:06d}.png') for i in range(3)]
    out = retrieval(images, CAPTIONS, topk=2, batch_size=1, out_dir=str(tmp_path))
    scores = torch.tensor(out['scores'])
    # the same matrix, computed directly: ITM of every (image, caption) pair
    model = retrieval.model
    with torch.no_grad():
        for i, path in enumerate(images):
            data = model.data_preprocessor(pseudo_collate(
                [retrieval._transform(dict(img_path=path, text=CAPTIONS), 'x')]), False)
            feats = model(**data, mode='tensor')
            assert torch.allclose(model.score_matrix(feats)[0], scores[i], atol=1e-4)
    best = scores.argmax(1)
    for i, pred in enumerate(out['predictions']):
        assert pred['top_texts'][0][0] == CAPTIONS[int(best[i])]
        assert len(pred['top_texts']) == 2
    for t, pred in enumerate(out['text_predictions']):
        assert pred['top_images'][0][0] == f'{int(scores[:, t].argmax()):06d}'
    # batching does not change the scores (captions are spread over the batches)
    again = retrieval(images, CAPTIONS, batch_size=8)
    assert torch.allclose(torch.tensor(again['scores']), scores, atol=1e-4)
    assert (tmp_path / 'vis' / '000000.png').is_file()
    assert (tmp_path / 'vis' / 'text_002.png').is_file()
    assert json.load(open(tmp_path / 'preds' / 'text_000.json'))['text'] == CAPTIONS[0]


def test_retrieval_inferencer_errors(retrieval, toyworld, vqa):
    image = osp.join(toyworld, 'val', '000000.png')
    with pytest.raises(InputError, match='caption'):
        retrieval(image, [])
    with pytest.raises(TypeError, match='predict_all'):
        RetrievalInferencer(vqa[1], device='cpu')


def _load_demo(name: str):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO_ROOT, 'demo', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dump(inferencer, cfg, tmp_path):
    config = str(tmp_path / 'model.py')
    cfg.dump(config)
    weights = str(tmp_path / 'model.pth')
    torch.save({'state_dict': inferencer.model.state_dict()}, weights)
    return config, weights


def test_vqa_demo(vqa, toyworld, tmp_path, capsys):
    inferencer, cfg = vqa
    config, weights = _dump(inferencer, cfg, tmp_path)
    image = osp.join(toyworld, 'val', '000001.png')
    out = tmp_path / 'out'
    _load_demo('vqa_demo').main([image, 'is there a red circle?', config, '--weights', weights,
                                 '--out-dir', str(out), '--topk', '3', '--device', 'cpu'])
    expected = inferencer(image, 'is there a red circle?')['predictions'][0]['pred_answer']
    assert f'is there a red circle? -> {expected} (' in capsys.readouterr().out
    assert (out / 'vis' / '000001.png').is_file()
    assert len(json.load(open(out / 'preds' / '000001.json'))['top_answers']) == 3
    with pytest.raises(SystemExit, match='not found'):
        _load_demo('vqa_demo').main([str(tmp_path / 'none.png'), 'q?', config])


def test_retrieval_demo(retrieval, toyworld, tmp_path, capsys):
    cfg = retrieval.cfg
    config, weights = _dump(retrieval, cfg, tmp_path)
    captions = tmp_path / 'captions.txt'
    captions.write_text('\n'.join(CAPTIONS) + '\n')
    images = tmp_path / 'gallery'
    images.mkdir()
    for i in range(3):
        mmcv.imwrite(mmcv.imread(osp.join(toyworld, 'val', f'{i:06d}.png')),
                     str(images / f'img{i}.png'))
    out = tmp_path / 'out'
    _load_demo('retrieval_demo').main([str(images), config, '--weights', weights,
                                       '--texts-file', str(captions), '--topk', '2',
                                       '--out-dir', str(out), '--device', 'cpu'])
    printed = capsys.readouterr().out
    assert f"'{CAPTIONS[0]}' -> img" in printed
    assert sorted(p.name for p in (out / 'vis').iterdir()) == [
        'img0.png', 'img1.png', 'img2.png', 'text_000.png', 'text_001.png', 'text_002.png']


def test_collate_fn_given_as_a_dict(vqa, toyworld):
    """Configs name the loader's collate_fn as dict(type=...); mmengine's inferencer wants a
    name: both work and give the same answer."""
    inferencer, cfg = vqa
    cfg = cfg.copy()
    cfg.test_dataloader.collate_fn = dict(type='default_collate')
    other = VQAInferencer(cfg, device='cpu', show_progress=False)
    other.model.load_state_dict(inferencer.model.state_dict())
    path = osp.join(toyworld, 'val', '000002.png')
    assert other(path, 'what colour is the circle?')['predictions'][0]['pred_answer'] == \
        inferencer(path, 'what colour is the circle?')['predictions'][0]['pred_answer']
