# Copyright (c) mmvl contributors. All rights reserved.
"""TBM through the real tools: MAE + TBM pre-training on the corrupted toy world, conversion,
and the linear probe that keeps the (frozen) TBMs, on corrupted images."""
import os.path as osp

import torch

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_mae_and_project import NO_WORKERS, run

TBM_C = get_config_path('tbm/mae-tbm_vit-toy-p8_1xb32-800it_toyworld-c.py')
PROBE_C = get_config_path('tbm/benchmarks/vit-tbm-toy-p8_linear-1xb64-300it_toyworld-c.py')
PROBE = get_config_path('tbm/benchmarks/vit-tbm-toy-p8_linear-1xb64-300it_toyworld.py')
PLAIN_PROBE_C = get_config_path('tbm/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld-c.py')


def test_tbm_pretrain_convert_probe_on_corrupted_data(toyworld, tmp_path):
    pre = str(tmp_path / 'tbm')
    run(['tools/train.py', TBM_C, '--work-dir', pre, '--cfg-options',
         *toyworld_cfg_options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
         'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2'])
    checkpoint = osp.join(pre, 'iter_2.pth')
    pretrained = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    assert {k.split('.')[2] for k in pretrained if k.startswith('backbone.tbms.')} == {'1', '3'}
    # the pre-training backbone, TBMs included, loads strictly into the probe's backbone
    converted = str(tmp_path / 'tbm_backbone.pth')
    out = run(['tools/model_converters/selfsup_to_backbone.py', checkpoint, converted,
               '--dst-prefix', 'backbone.', '--check-config', PROBE_C,
               '--allow-missing', 'ln2.*'])
    assert 'loads into the backbone of' in out
    # without the TBMs, into mmpretrain's plain VisionTransformer (TBM removed downstream)
    plain = str(tmp_path / 'plain_backbone.pth')
    out = run(['tools/model_converters/selfsup_to_backbone.py', checkpoint, plain,
               '--exclude', 'tbms.*', '--check-config', PLAIN_PROBE_C,
               '--allow-missing', 'ln2.*'])
    assert 'loads into the backbone of' in out
    meta = torch.load(plain, weights_only=True)['meta']
    assert 'backbone.tbms.*' in meta['dropped']
    # feature stability under corruption (tools/analysis_tools/corruption_stability.py)
    out = run(['tools/analysis_tools/corruption_stability.py', PROBE, '--checkpoint',
               checkpoint, '--severity', '3', '--cfg-options',
               *toyworld_cfg_options(toyworld, 'shapes')])
    assert 'cosine(clean, corrupted)' in out
    probe = str(tmp_path / 'probe')
    log = run(['tools/train.py', PROBE_C, '--work-dir', probe, '--cfg-options',
               *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS, 'train_cfg.max_iters=2',
               'default_hooks.checkpoint.interval=2',
               f'model.backbone.init_cfg.checkpoint={converted}'])
    assert f'load backbone. in model from: {converted}' in log
    # the probe holds the pre-trained TBMs, frozen (re-initialisation: test_token_boosting.py)
    probed = torch.load(osp.join(probe, 'iter_2.pth'), map_location='cpu',
                        weights_only=False)['state_dict']
    for key in ('backbone.tbms.1.alpha', 'backbone.tbms.3.ae.2.weight'):
        assert torch.equal(probed[key], pretrained[key]), key
    log = run(['tools/test.py', PROBE_C, osp.join(probe, 'iter_2.pth'), '--work-dir', probe,
               '--cfg-options', *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS])
    assert 'accuracy/top1' in log
