"""DetSegInferencer and init_model on the toy Mask R-CNN config with random weights."""
import json
import os.path as osp
import re
from pathlib import PurePosixPath

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine import DefaultScope
from mmengine.config import Config
from pycocotools import mask as mask_util

from mmvl.apis import DetSegInferencer, InputError, init_model
from mmvl.engine.runner.checkpoint import UntrustedCheckpointError, sign_checkpoint
from mmvl.testing import get_config_path

CONFIG = get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py')
CKPT_CLASSES = [f'c{i}' for i in range(8)]  # differ from the config's, to see which wins
# A random model scores every box about 1/9; few proposals and detections keep the tests fast.
FEW = {'model.test_cfg.rpn.max_per_img': 50, 'model.test_cfg.rcnn.max_per_img': 3}


def _scene(height: int, width: int) -> np.ndarray:
    """A grey BGR image with a red disc and a blue box."""
    img = np.full((height, width, 3), 90, np.uint8)
    cv2.circle(img, (width // 3, height // 3), min(height, width) // 6, (0, 0, 220), -1)
    cv2.rectangle(img, (width // 2, height // 2), (width - 10, height - 10), (200, 50, 0), -1)
    return img


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Random Mask R-CNN weights with class names in the meta: a plain, unsigned file."""
    torch.manual_seed(0)
    model = init_model(CONFIG)
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': CKPT_CLASSES}}}, path)
    return dict(path=path, state_dict=model.state_dict(), config_meta=model.dataset_meta)


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    return DetSegInferencer(
        CONFIG, weights=checkpoint['path'], cfg_options=FEW, show_progress=False)


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('images')
    paths = {}
    for name, (h, w) in dict(square=(160, 160), odd=(97, 131)).items():
        paths[name] = str(root / f'{name}.png')
        cv2.imwrite(paths[name], _scene(h, w))
    return paths


def test_init_model_loads_weights_and_meta(checkpoint):
    # Without weights the class names are the config's toy-world ones, not COCO's.
    assert list(checkpoint['config_meta']['classes'])[:2] == ['circle', 'square']
    assert len(checkpoint['config_meta']['palette']) == 8
    model = init_model(CONFIG, checkpoint['path'])
    assert not model.training
    assert type(model).__name__ == 'MaskRCNN' and model.cfg.model.type.endswith('MaskRCNN')
    # The checkpoint's names override the config's; the palette stays the config's.
    assert list(model.dataset_meta['classes']) == CKPT_CLASSES
    assert len(model.dataset_meta['palette']) == 8
    for key, value in model.state_dict().items():
        assert torch.equal(value, checkpoint['state_dict'][key]), key


def test_predictions_files_and_drawing(inferencer, images, tmp_path):
    before = DefaultScope.get_current_instance()
    out = inferencer([images['square'], images['odd']],
                     out_dir=str(tmp_path),
                     batch_size=2,
                     pred_score_thr=0,
                     return_vis=True)
    # The scope is only switched while the inferencer runs.
    assert DefaultScope.get_current_instance() is before
    assert len(out['predictions']) == len(out['visualization']) == 2
    for name, pred, vis in zip(('square', 'odd'), out['predictions'], out['visualization']):
        original = mmcv.imread(images[name])
        height, width = original.shape[:2]
        assert set(pred) == {'labels', 'scores', 'bboxes', 'label_names', 'masks'}
        num = len(pred['labels'])
        assert 0 < num <= 3
        assert len(pred['scores']) == len(pred['bboxes']) == len(pred['masks']) == num
        assert pred['label_names'] == [CKPT_CLASSES[label] for label in pred['labels']]
        assert all(0 < score <= 1 for score in pred['scores'])
        boxes = np.array(pred['bboxes'])
        # boxes are in original image pixels, whatever the padding of the batch
        assert (boxes[:, 0] <= boxes[:, 2]).all() and (boxes[:, 1] <= boxes[:, 3]).all()
        assert boxes.min() >= 0 and (boxes[:, [0, 2]] <= width).all()
        assert (boxes[:, [1, 3]] <= height).all()
        for rle in pred['masks']:
            assert rle['size'] == [height, width]
            assert mask_util.decode(dict(rle, counts=rle['counts'].encode())).shape == (
                height, width)
        # vis/<name>.png: readable, enlarged (nearest) to a 480 px shorter side for legible
        # labels, predictions drawn on it.
        drawn = mmcv.imread(osp.join(tmp_path, 'vis', f'{name}.png'))
        scale = 480 / min(height, width)
        assert drawn.shape == (round(height * scale), round(width * scale), 3)
        enlarged = mmcv.imresize(original, drawn.shape[1::-1], interpolation='nearest')
        assert not np.array_equal(drawn, enlarged)
        np.testing.assert_array_equal(drawn, vis[..., ::-1])
        with open(osp.join(tmp_path, 'preds', f'{name}.json')) as f:
            assert json.load(f) == pred


def test_nothing_drawn_above_threshold_and_array_colours(inferencer, images, tmp_path):
    bgr = mmcv.imread(images['odd'])
    out = inferencer(
        bgr, out_dir=str(tmp_path), pred_score_thr=1.0, return_vis=True, min_vis_size=0)
    # No score exceeds 1: the picture is the input itself, as RGB (arrays are BGR).
    np.testing.assert_array_equal(out['visualization'][0], bgr[..., ::-1])
    assert len(out['predictions'][0]['labels']) > 0  # predictions are kept, only not drawn
    # An array is named by a running number, the same in vis/ and preds/.
    vis_name = osp.splitext(osp.basename(
        sorted((tmp_path / 'vis').iterdir())[0]))[0]
    assert (tmp_path / 'preds' / f'{vis_name}.json').is_file()


def test_pipeline_without_resize_keeps_original_coordinates(checkpoint, images):
    # Without Resize no transform sets `scale_factor`; mmdet's mask head needs it.
    cfg = Config.fromfile(CONFIG)
    pipeline = cfg.test_dataloader.dataset.pipeline
    cfg.test_dataloader.dataset.pipeline = [t for t in pipeline if 'Resize' not in t['type']]
    inferencer = DetSegInferencer(
        cfg, weights=checkpoint['path'], cfg_options=FEW, show_progress=False)
    assert not any('Resize' in type(t).__name__ for t in inferencer.pipeline.transforms)
    assert not any('Annotations' in type(t).__name__ for t in inferencer.pipeline.transforms)
    pred = inferencer(images['odd'], pred_score_thr=0)['predictions'][0]
    assert len(pred['masks']) > 0
    assert all(rle['size'] == [97, 131] for rle in pred['masks'])


def test_directory_input_sorted_images_only(inferencer, images, tmp_path):
    folder = tmp_path / 'folder'
    folder.mkdir()
    for name in ('b.png', 'a.png'):
        cv2.imwrite(str(folder / name), _scene(64, 48))
    (folder / 'notes.txt').write_text('not an image')
    out = inferencer(str(folder), out_dir=str(tmp_path / 'out'), batch_size=2, no_save_vis=True)
    assert len(out['predictions']) == 2 and out['visualization'] == []
    assert sorted(p.name for p in (tmp_path / 'out' / 'preds').iterdir()) == ['a.json', 'b.json']
    assert not (tmp_path / 'out' / 'vis').exists()
    for pred in out['predictions']:
        for rle in pred['masks']:
            assert rle['size'] == [64, 48]


def test_bad_inputs_are_named(inferencer, checkpoint, tmp_path):
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        inferencer(missing)
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(InputError, match=re.escape(str(broken))):
        inferencer(str(broken))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        DetSegInferencer(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        DetSegInferencer(CONFIG, weights=str(tmp_path / 'nope.pth'))
    with pytest.raises(ValueError, match='palette'):
        DetSegInferencer(CONFIG, palette='rainbow')


def test_weights_go_through_the_safe_loader(checkpoint, tmp_path):
    # A checkpoint holding a Python object beyond plain data is refused unless signed.
    path = str(tmp_path / 'with_object.pth')
    torch.save({'state_dict': checkpoint['state_dict'],
                'meta': {'dataset_meta': {'classes': CKPT_CLASSES},
                         'work_dir': PurePosixPath('/somewhere')}}, path)
    with pytest.raises(UntrustedCheckpointError, match=re.escape(path)):
        DetSegInferencer(CONFIG, weights=path, show_progress=False)
    sign_checkpoint(path)
    inferencer = DetSegInferencer(CONFIG, weights=path, show_progress=False)
    assert list(inferencer.model.dataset_meta['classes']) == CKPT_CLASSES
