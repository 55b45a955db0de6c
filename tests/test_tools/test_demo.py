"""demo/image_demo.py (in a subprocess), video_demo.py and webcam_demo.py, random weights."""
import importlib.util
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from mmvl.apis import init_model
from mmvl.testing import REPO_ROOT, get_config_path

CONFIG = get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py')
FEW = ['model.test_cfg.rpn.max_per_img=50', 'model.test_cfg.rcnn.max_per_img=3']


def _load_demo(name: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO_ROOT, 'demo', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _frame(index: int) -> np.ndarray:
    img = np.full((160, 160, 3), 90, np.uint8)
    cv2.circle(img, (40 + 20 * index, 60), 25, (0, 0, 220), -1)
    return img


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save({'state_dict': init_model(CONFIG).state_dict()}, path)
    return path


def test_image_demo_writes_pictures_and_predictions(checkpoint, tmp_path):
    image = str(tmp_path / 'scene.png')
    cv2.imwrite(image, _frame(0))
    out_dir = str(tmp_path / 'outputs')
    proc = subprocess.run([
        sys.executable, 'demo/image_demo.py', image, CONFIG, '--weights', checkpoint,
        '--out-dir', out_dir, '--pred-score-thr', '0', '--cfg-options', *FEW
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    drawn = cv2.imread(osp.join(out_dir, 'vis', 'scene.png'))
    assert drawn is not None and drawn.shape == (480, 480, 3)  # enlarged for legible labels
    assert not np.array_equal(drawn, cv2.resize(_frame(0), (480, 480),
                                                interpolation=cv2.INTER_NEAREST))
    assert osp.isfile(osp.join(out_dir, 'preds', 'scene.json'))
    assert osp.join(out_dir, 'vis') in proc.stdout


def test_image_demo_names_a_missing_input(tmp_path):
    missing = str(tmp_path / 'missing.png')
    with pytest.raises(SystemExit, match='missing.png'):
        _load_demo('image_demo').main([missing, CONFIG])


@pytest.mark.parametrize('source', ['video', 'frames'])
def test_video_demo(checkpoint, tmp_path, source):
    if source == 'video':
        src = str(tmp_path / 'clip.mp4')
        writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'mp4v'), 5, (160, 160))
        for i in range(3):
            writer.write(_frame(i))
        writer.release()
    else:
        (tmp_path / 'frames').mkdir()
        src = str(tmp_path / 'frames')
        for i in range(3):
            cv2.imwrite(osp.join(src, f'{i:03d}.png'), _frame(i))
    out = str(tmp_path / 'out.mp4')
    out_frames = tmp_path / 'drawn'
    _load_demo('video_demo').main([
        src, CONFIG, '--weights', checkpoint, '--out', out, '--out-frames', str(out_frames),
        '--score-thr', '0.5'
    ])
    capture = cv2.VideoCapture(out)
    frames = []
    ok, frame = capture.read()
    while ok:
        frames.append(frame)
        ok, frame = capture.read()
    capture.release()
    assert len(frames) == 3 and frames[0].shape == (480, 480, 3)  # enlarged for drawing
    assert sorted(p.name for p in out_frames.iterdir()) == [f'00000{i}.png' for i in range(3)]


def test_webcam_demo_without_camera():
    with pytest.raises(SystemExit, match='cannot open camera 99'):
        _load_demo('webcam_demo').main([CONFIG, '--camera-id', '99'])
