"""MCL through the real tools: pre-train on the toy world, then convert for mmdet."""
import os.path as osp

import torch

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_mae_and_project import run

MCL = get_config_path('mcl/mcl_resnet18_1xb16-600it_toyworld.py')


def test_mcl_pretrains_two_iterations_and_converts_for_mmdet(toyworld, tmp_path):
    work_dir = str(tmp_path / 'mcl')
    log = run([
        'tools/train.py', MCL, '--work-dir', work_dir, '--cfg-options',
        *toyworld_cfg_options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=4',
        'model.data_preprocessor.num_montages=[4,1,1,1]', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
    ])
    for key in ('loss_level0_q', 'loss_level3_k', 'pos_cos_level2_q', 'momentum'):
        assert key in log
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    # TargetUpdateHook ran after each of the two optimizer steps
    assert int(state['target_net.steps']) == 2
    assert not torch.equal(state['target_net.module.0.conv1.weight'],
                           state['backbone.conv1.weight'])
    out = run(['tools/model_converters/mcl_to_mmdet.py', checkpoint,
               str(tmp_path / 'mmdet.pth'), '--source', 'mmvl'])
    assert 'roi_head.bbox_head.shared_convs.' in out
