"""End-to-end runs of tools/analysis_tools and tools/misc in subprocesses on a tiny toy world."""
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from mmvl.testing import REPO_ROOT, get_config_path, toyworld_cfg_options

MAE = get_config_path('mae/mae_vit-toy-p8_1xb32-800it_toyworld.py')
MASK_RCNN = get_config_path('mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py')
LINEAR = get_config_path('mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py')
NO_WORKERS = [
    f'{phase}_dataloader.{key}' for phase in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def run_tool(args, check=True, timeout=300):
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}')
    return proc


def assert_pngs(paths, count):
    assert len(paths) == count, paths
    for path in paths:
        with Image.open(path) as img:
            assert img.format == 'PNG'
            img.verify()
        with Image.open(path) as img:
            assert img.size[0] >= 32 and img.size[1] >= 32


def options(toyworld, kind, phases=('train', )):
    """``--cfg-options`` for the given dataloaders only (a config may lack the others)."""
    opts = [o for o in toyworld_cfg_options(toyworld, kind) if o.split('_')[0] in phases]
    return opts + [o for o in NO_WORKERS if o.split('_')[0] in phases]


# ----------------------------------------------------------------------------- misc tools
def test_print_config_applies_options_and_saves(tmp_path):
    out = str(tmp_path / 'sub' / 'full.py')
    proc = run_tool(['tools/misc/print_config.py', MAE, '--save-path', out, '--cfg-options',
                     'train_cfg.max_iters=7'])
    assert 'max_iters=7' in proc.stdout
    from mmengine.config import Config
    assert Config.fromfile(out).train_cfg.max_iters == 7


def test_print_config_refuses_unknown_key():
    proc = run_tool(['tools/misc/print_config.py', MAE, '--cfg-options',
                     'default_hooks.loger.interval=5'], check=False)
    assert proc.returncode != 0
    assert "unknown config key 'default_hooks.loger.interval'" in proc.stderr
    assert "Did you mean 'logger'?" in proc.stderr
    assert 'Traceback' not in proc.stderr


# ----------------------------------------------------------------------------- analyze_logs
@pytest.fixture(scope='module')
def mae_run(toyworld, tmp_path_factory):
    """A 3-iteration MAE run (iteration based, logging every iteration)."""
    work_dir = str(tmp_path_factory.mktemp('mae_run'))
    run_tool(['tools/train.py', MAE, '--work-dir', work_dir, '--cfg-options',
              *options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=2',
              'train_cfg.max_iters=3', 'default_hooks.logger.interval=1',
              'default_hooks.checkpoint.interval=3'])
    return work_dir


def test_trust_checkpoint_signs_and_checks(mae_run, tmp_path):
    from mmvl.engine.runner.checkpoint import is_trusted
    ckpt, other, unsigned = (str(tmp_path / f'{name}.pth') for name in 'abc')
    for path in (ckpt, other, unsigned):  # numpy scalars: the safe loader refuses these
        torch.save(dict(meta=dict(seed=np.int64(3)), state_dict=dict(w=torch.ones(2))), path)
    tool = 'tools/misc/trust_checkpoint.py'

    proc = run_tool([tool, ckpt, other])
    assert 'unpickling' in proc.stderr.lower()  # the warning
    assert is_trusted(ckpt) and is_trusted(other) and not is_trusted(unsigned)

    with open(other, 'ab') as f:  # changed after signing
        f.write(b'0')
    own = osp.join(mae_run, 'iter_3.pth')  # signed by the training run
    proc = run_tool([tool, '--check', ckpt, other, unsigned, own], check=False)
    assert proc.returncode == 1
    assert f'{ckpt}: trusted' in proc.stdout and f'{own}: trusted' in proc.stdout
    assert f'{other}: NOT trusted (the signature does not match' in proc.stdout
    assert f'{unsigned}: NOT trusted (no signature)' in proc.stdout

    proc = run_tool([tool, str(tmp_path / 'missing.pth')], check=False)
    assert proc.returncode == 2 and 'checkpoint file not found' in proc.stderr


def test_analyze_logs_on_an_iteration_based_run(mae_run, tmp_path):
    json_log = glob.glob(osp.join(mae_run, '*', 'vis_data', '2*.json'))[0]
    scalars = osp.join(osp.dirname(json_log), 'scalars.json')
    out = str(tmp_path / 'curve.png')
    run_tool(['tools/analysis_tools/analyze_logs.py', 'plot_curve', json_log, scalars, '--keys',
              'loss', 'lr', '--legend', 'a', 'b', 'c', 'd', '--title', 'MAE', '--out', out])
    assert_pngs([out], 1)
    proc = run_tool(['tools/analysis_tools/analyze_logs.py', 'cal_train_time', json_log])
    assert 'average iter time' in proc.stdout


def test_analyze_logs_on_an_epoch_based_log_with_validation(tmp_path):
    log = tmp_path / 'vis_data' / '20250101_000000.json'
    log.parent.mkdir()
    lines = []
    for step in range(1, 9):  # 2 epochs of 4 iterations, logged every iteration
        lines.append(dict(lr=0.01, loss=2.0 / step, loss_cls=1.0 / step, time=0.5 + step % 2,
                          data_time=0.01, epoch=(step - 1) // 4 + 1, iter=(step - 1) % 4 + 1,
                          step=step))
        if step % 4 == 0:
            lines.append({'coco/bbox_mAP': 0.1 * step, 'data_time': 0.01, 'time': 0.2,
                          'step': step // 4})
    log.write_text('\n'.join(json.dumps(line) for line in lines) + '\n')
    out = str(tmp_path / 'curve.png')
    run_tool(['tools/analysis_tools/analyze_logs.py', 'plot_curve', str(log), '--keys', 'loss_cls',
              'bbox_mAP', '--out', out, '--style', 'dark'])
    assert_pngs([out], 1)
    proc = run_tool(['tools/analysis_tools/analyze_logs.py', 'cal_train_time', str(log)])
    assert 'slowest epoch' in proc.stdout and 'average iter time' in proc.stdout

    proc = run_tool(['tools/analysis_tools/analyze_logs.py', 'plot_curve', str(log), '--keys',
                     'segm_mAP', '--out', out], check=False)
    assert proc.returncode == 2 and 'has no key "segm_mAP"' in proc.stderr


# ----------------------------------------------------------------------------- get_flops
def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', 'analysis_tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _param_count(config):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmvl.registry import MODELS
    from mmvl.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmvl'):
        model = MODELS.build(Config.fromfile(config).model)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('config,shape', [
    (MAE, []),
    (MASK_RCNN, ['--shape', '96', '100']),
])
def test_get_flops_counts_every_parameter(config, shape):
    proc = run_tool(['tools/analysis_tools/get_flops.py', config, *shape])
    count = _param_count(config)
    assert f'({count:,})' in proc.stdout, proc.stdout[-2000:]
    assert "Traced path: forward(mode='tensor')" in proc.stdout
    assert 'Flops: ' in proc.stdout and 'Flops: 0\n' not in proc.stdout
    if shape:  # 96 x 100 padded up to the data preprocessor's divisor of 32
        assert 'Input shape: (1, 3, 96, 128)' in proc.stdout


def test_get_flops_falls_back_on_extract_feat():
    get_flops = _load_tool('get_flops')

    class NoTensorMode(torch.nn.Module):  # like a model whose forward only computes losses

        def __init__(self):
            super().__init__()
            self.backbone = torch.nn.Conv2d(3, 4, 3)
            self.head = torch.nn.Linear(4, 2)  # counted in params, not in FLOPs

        def forward(self, inputs, data_samples=None, mode='tensor'):
            raise RuntimeError(f'Invalid mode "{mode}".')

        def extract_feat(self, inputs):
            return self.backbone(inputs)

    model = NoTensorMode()
    info = get_flops.analyze(model, (8, 8))
    assert info['path'] == 'extract_feat'
    assert info['flops'] == 4 * 3 * 3 * 3 * 6 * 6  # out channels x kernel volume x positions
    assert info['params'] == sum(p.numel() for p in model.parameters())
    assert 'forward' not in vars(model)  # the patched forward is removed again


def test_get_flops_counts_scaled_dot_product_attention():
    from mmengine.analysis import FlopAnalyzer
    get_flops = _load_tool('get_flops')

    class Attention(torch.nn.Module):

        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v)

    b, h, length, s, e, ev = 2, 3, 5, 7, 4, 6
    inputs = (torch.rand(b, h, length, e), torch.rand(b, h, s, e), torch.rand(b, h, s, ev))
    analyzer = FlopAnalyzer(Attention(), inputs).set_op_handle(**get_flops.EXTRA_FLOP_HANDLES)
    assert analyzer.total() == b * h * length * s * (e + ev)


def run_main(name, args, monkeypatch, capsys):
    """Run a tool's ``main`` in this process (cheap for inputs refused before any work)."""
    monkeypatch.setattr(sys, 'argv', [f'{name}.py', *args])
    with pytest.raises(SystemExit) as exit_info:
        _load_tool(name).main()
    return exit_info.value.code, capsys.readouterr().err


def test_get_flops_rejects_a_bad_shape(monkeypatch, capsys):
    code, err = run_main('get_flops', [MAE, '--shape', '1', '2', '3'], monkeypatch, capsys)
    assert code == 2 and '--shape takes H W or one size, got [1, 2, 3]' in err


# ----------------------------------------------------------------------------- browse_dataset
@pytest.mark.parametrize('config,kind,extra,drawer', [
    (MASK_RCNN, 'instance', [], 'DetLocalVisualizer (draw_detection)'),
    (LINEAR, 'shapes', [], 'UniversalVisualizer (draw_classification)'),
    (MASK_RCNN, 'instance', ['visualizer.type=Visualizer'], 'Visualizer (draw_generic)'),
])
def test_browse_dataset_writes_one_png_per_sample(config, kind, extra, drawer, toyworld,
                                                  tmp_path):
    proc = run_tool(['tools/analysis_tools/browse_dataset.py', config, '--output-dir',
                     str(tmp_path), '--not-show', '--max-samples', '2', '--cfg-options',
                     *options(toyworld, kind), *extra])
    assert drawer in proc.stdout
    assert_pngs(sorted(glob.glob(str(tmp_path / '*.png'))), 2)


def test_browse_dataset_names_a_missing_phase(tmp_path, monkeypatch, capsys):
    code, err = run_main('browse_dataset', [MAE, '--output-dir', str(tmp_path), '--not-show',
                                            '--phase', 'val'], monkeypatch, capsys)
    assert code == 2 and 'has no val_dataloader.dataset' in err


# ----------------------------------------------------------------------------- benchmark
def test_benchmark_compares_two_configs(toyworld, tmp_path):
    variant = tmp_path / 'mae_variant.py'
    variant.write_text(f"_base_ = '{MAE}'\nmodel = dict(neck=dict(decoder_depth=1))\n")
    out = str(tmp_path / 'bench.json')
    proc = run_tool(['tools/analysis_tools/benchmark.py', MAE, str(variant), '--task', 'train',
                     '--iters', '2', '--warmup', '1', '--repeats', '2', '--batch-size', '2',
                     '--out', out, '--cfg-options', *options(toyworld, 'shapes_unlabelled')])
    assert 'time ratio config2/config1' in proc.stdout
    result = json.load(open(out))['tasks']['train']
    assert len(result['config1']['ms_per_iter']) == 2
    ratio = result['ratio_config2_over_config1']
    assert ratio['paired_min'] <= ratio['paired_median'] <= ratio['paired_max']
    assert result['config2']['batch_size'] == 2


def test_benchmark_measures_training_and_inference(toyworld, tmp_path):
    out = str(tmp_path / 'bench.json')
    proc = run_tool(['tools/analysis_tools/benchmark.py', LINEAR, '--iters', '1', '--warmup', '1',
                     '--repeats', '1', '--batch-size', '2', '--out', out, '--cfg-options',
                     *options(toyworld, 'shapes', ('train', 'val', 'test')),
                     'model.backbone.init_cfg=None'])
    assert 'samples/s' in proc.stdout
    tasks = json.load(open(out))['tasks']
    assert set(tasks) == {'train', 'inference'}
    assert tasks['inference']['config1']['samples_per_s'] > 0


def test_benchmark_names_an_unknown_key(monkeypatch, capsys):
    code, err = run_main('benchmark', [MAE, '--cfg-options', 'train_dataloader.batchsize=2'],
                         monkeypatch, capsys)
    assert code == 2 and "unknown config key 'train_dataloader.batchsize'" in err


def test_tools_have_help():
    for tool in ('misc/print_config.py', 'misc/trust_checkpoint.py',
                 'analysis_tools/analyze_logs.py'):
        proc = run_tool([f'tools/{tool}', '--help'])
        assert 'usage:' in proc.stdout


def _write_scalars(work_dir, records):
    vis = osp.join(work_dir, '20260101_000000', 'vis_data')
    os.makedirs(vis, exist_ok=True)
    with open(osp.join(vis, 'scalars.json'), 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)


def test_seed_sweep_tabulates_the_last_validation_of_each_seed(tmp_path):
    spec = importlib.util.spec_from_file_location(
        'seed_sweep', osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'seed_sweep.py'))
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    root = tmp_path / 'runs'
    name = 'mask-rcnn_r18_fpn_1xb4-600it_toyworld'
    _write_scalars(str(root / name / 'seed0'), [
        dict(loss=1.0, lr=0.1, step=10), dict(**{'m/AR': 0.1}, step=5),
        dict(**{'m/AR': 0.4}, step=10)])  # the later validation wins
    _write_scalars(str(root / name / 'seed1'), [dict(**{'m/AR': 0.6}, step=10)])
    results = sweep.main([MASK_RCNN, '--seeds', '0', '1', '2', '--work-root', str(root),
                          '--dry-run', '--metrics', 'm/AR'])
    assert results[name] == {0: {'m/AR': 0.4}, 1: {'m/AR': 0.6}}  # seed 2 never ran
    table = sweep.table(results, ['m/AR'], 100.0)
    assert '50.0 ± 14.1 (40.0, 60.0)' in table and '| 0,1 |' in table
    # metrics already in percent are not scaled; clashing last parts keep the full key
    mixed = {'a': {0: {'det/coco/bbox_mAP': 0.25, 'ref/refer/oiou': 61.0, 'coco/bbox_mAP': 0.5}}}
    table = sweep.table(mixed, ['det/coco/bbox_mAP', 'ref/refer/oiou', 'coco/bbox_mAP'], 100.0,
                        percent_keys=['refer/'])
    assert '| det/coco/bbox_mAP | oiou | coco/bbox_mAP |' in table
    assert '| a | 0 | 25.0 | 61.0 | 50.0 |' in table
    with pytest.raises(FileNotFoundError, match='missing.py'):
        sweep.main([str(tmp_path / 'missing.py'), '--dry-run'])


def test_seed_sweep_keeps_same_named_configs_apart():
    spec = importlib.util.spec_from_file_location(
        'seed_sweep', osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'seed_sweep.py'))
    sweep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sweep)
    spark = osp.join(REPO_ROOT, 'configs/spark/benchmarks/resnet18_1xb32-300it_toyworld.py')
    mcl = osp.join(REPO_ROOT, 'configs/mcl/benchmarks/resnet18_1xb32-300it_toyworld.py')
    names = sweep.run_names([spark, mcl, MASK_RCNN])
    assert names == {spark: 'spark/resnet18_1xb32-300it_toyworld',
                     mcl: 'mcl/resnet18_1xb32-300it_toyworld',
                     MASK_RCNN: 'mask-rcnn_r18_fpn_1xb4-600it_toyworld'}
