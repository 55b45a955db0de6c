"""End-to-end runs of tools/train.py, tools/test.py and dist_train.sh in subprocesses."""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest

from mmvl.testing import REPO_ROOT, get_config_path, toyworld_cfg_options

CONFIG = get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py')
# Small and fast: 2-image batches, no worker processes, frequent checkpoints and logs.
FAST = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1'
]


def run_tool(args, timeout=600, check=True, **kwargs):
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=timeout,
                          **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}')
    return proc


def train_args(toyworld, work_dir, max_iters, interval, *extra):
    return [
        'tools/train.py', CONFIG, '--work-dir', work_dir, *extra, '--cfg-options',
        *toyworld_cfg_options(toyworld), *FAST, f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={max_iters}', f'default_hooks.checkpoint.interval={interval}'
    ]


@pytest.fixture(scope='module')
def trained(toyworld, tmp_path_factory):
    """Train 4 iterations once; the tests below reuse the run."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    run_tool(train_args(toyworld, work_dir, 4, 2))
    return work_dir


def test_train_writes_signed_checkpoints_and_validates(trained):
    assert osp.isfile(osp.join(trained, 'iter_4.pth'))
    assert osp.isfile(osp.join(trained, 'iter_4.pth.mmvl-sig'))
    with open(osp.join(trained, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_4.pth')
    logs = glob.glob(osp.join(trained, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(logs[0])]
    assert any('loss' in r for r in records)
    assert any('coco/bbox_mAP' in r for r in records)  # validation ran at the end


def test_test_tool_evaluates_dumps_and_draws(trained, toyworld, tmp_path):
    ckpt = osp.join(trained, 'iter_4.pth')
    out = str(tmp_path / 'preds.pkl')
    proc = run_tool([
        'tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path), '--out', out, '--show-dir',
        'show', '--cfg-options', *toyworld_cfg_options(toyworld), *FAST
    ])
    assert 'coco/segm_mAP' in proc.stdout + proc.stderr
    assert osp.getsize(out) > 0
    assert glob.glob(str(tmp_path / '*' / 'show' / '*.png'))


def test_kill_and_resume(toyworld, tmp_path):
    """SIGKILL a run after its first checkpoint; --resume continues from that iteration."""
    work_dir = str(tmp_path)
    proc = subprocess.Popen([sys.executable, *train_args(toyworld, work_dir, 200, 2)],
                            cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.isfile(osp.join(work_dir, 'last_checkpoint')) and time.time() < deadline:
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        resumed_from = f.read().strip()
    done = int(osp.basename(resumed_from)[len('iter_'):-len('.pth')])
    assert done < 200
    total = done + 2
    result = run_tool(train_args(toyworld, work_dir, total, 2, '--resume'))
    log = result.stdout + result.stderr
    assert 'resumed' in log.lower() and resumed_from in log
    assert f'Iter(train) [{done + 1}/{total}]' in log
    assert f'Iter(train) [1/{total}]' not in log  # nothing trained twice
    assert osp.isfile(osp.join(work_dir, f'iter_{total}.pth'))


def test_amp_on_cpu_uses_bf16_autocast(toyworld, tmp_path):
    proc = run_tool(train_args(toyworld, str(tmp_path), 1, 1, '--amp'))
    assert 'BF16AutocastOptimWrapper' in proc.stdout


def test_dist_train_two_cpu_processes(toyworld, tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(29500 + os.getpid() % 1000))
    args = train_args(toyworld, str(tmp_path), 2, 2)[1:]  # drop tools/train.py
    proc = subprocess.run(['bash', 'tools/dist_train.sh', args[0], '2', *args[1:]],
                          cwd=REPO_ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    log = proc.stdout + proc.stderr
    assert 'gloo backend, rank 1 of 2' in log and 'Distributed training: True' in log
    assert osp.isfile(osp.join(str(tmp_path), 'iter_2.pth'))


@pytest.mark.parametrize(
    'case', ['missing_root', 'bad_json', 'bad_image', 'unknown_key', 'unknown_argument'])
def test_bad_input_gets_one_clear_error(case, toyworld, tmp_path):
    root = str(tmp_path / 'tw')
    shutil.copytree(toyworld, root)
    extra = []
    if case == 'missing_root':
        shutil.rmtree(root)
        expected = f'data root not found: {root}'
    elif case == 'bad_json':
        with open(osp.join(root, 'annotations', 'instances_train.json'), 'w') as f:
            f.write('{"images": [}')
        expected = 'malformed json in'
    elif case == 'bad_image':
        for png in glob.glob(osp.join(root, 'train', '*.png')):
            with open(png, 'wb') as f:
                f.write(b'not a png')
        expected = 'failed to load image'
    elif case == 'unknown_key':
        extra = ['default_hooks.loger.interval=5']
        expected = "unknown config key 'default_hooks.loger.interval'"
    else:  # a component argument: the component's build names it
        extra = ['train_cfg.max_iter=3']
        expected = "unexpected keyword argument 'max_iter'"
    args = train_args(root, str(tmp_path / 'work'), 1, 1)
    proc = run_tool(args + extra, check=False)
    assert proc.returncode != 0
    assert expected in proc.stderr, proc.stderr[-3000:]


def test_resume_works_for_configs_without_mmvl_checkpoint_backend(toyworld, tmp_path):
    """An mmdet/mmpretrain-style config (no backend_args) still writes signed checkpoints."""
    args = train_args(toyworld, str(tmp_path), 1, 1)
    run_tool(args + ['default_hooks.checkpoint.backend_args=None'])
    assert osp.isfile(osp.join(str(tmp_path), 'iter_1.pth.mmvl-sig'))
    resumed = run_tool(train_args(toyworld, str(tmp_path), 2, 1, '--resume') +
                       ['default_hooks.checkpoint.backend_args=None'])
    assert 'Iter(train) [2/2]' in resumed.stdout + resumed.stderr


def test_open_world_config_reports_class_agnostic_recall(toyworld, tmp_path):
    """Base-class training with the open-world metric (the SWORD protocol) through the tools."""
    config = get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld-base2novel.py')
    proc = run_tool([
        'tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options',
        *toyworld_cfg_options(toyworld), *FAST,
        'train_cfg.max_iters=1', 'train_cfg.val_interval=1'
    ])
    log = proc.stdout + proc.stderr
    assert 'open_world/bbox_AR@100' in log and 'open_world/segm_AP' in log
