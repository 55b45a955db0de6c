"""Pre-train -> convert -> fine-tune through the real tools, for the convnet self-supervised
methods: SparK into the classification benchmark (tools/model_converters/selfsup_to_backbone.py)
and MCL into the detection benchmark (tools/model_converters/mcl_to_mmdet.py, backbone, FPN and
box-head convs)."""
import os.path as osp

import torch

from mmvl.testing import get_config_path, toyworld_cfg_options
from test_mae_and_project import NO_WORKERS, run

SPARK = get_config_path('spark/spark_resnet18_1xb16-600it_toyworld.py')
FINETUNE = get_config_path('benchmarks/resnet18_1xb32-300it_toyworld.py')
MCL = get_config_path('mcl/mcl_resnet18_1xb16-600it_toyworld.py')
MCL_DET = get_config_path('mcl/benchmarks/mask-rcnn_r18_fpn_4conv1fc_1xb4-600it_toyworld.py')
PRETRAIN_FAST = ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                 'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2']


def test_spark_pretrain_convert_finetune(toyworld, tmp_path):
    pre = str(tmp_path / 'spark')
    run(['tools/train.py', SPARK, '--work-dir', pre, '--cfg-options',
         *toyworld_cfg_options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=4',
         *PRETRAIN_FAST])
    converted = str(tmp_path / 'spark_r18.pth')
    out = run(['tools/model_converters/selfsup_to_backbone.py', osp.join(pre, 'iter_2.pth'),
               converted, '--dst-prefix', 'backbone.', '--check-config', FINETUNE])
    assert 'loads into the backbone of' in out
    # the pretext-only parts stay behind: decoder, densify norms/projections, mask tokens
    dropped = torch.load(converted, weights_only=True)['meta']['dropped']
    assert {'neck', 'mask_tokens'} <= set(dropped) and 'backbone' not in dropped
    pretrained = torch.load(osp.join(pre, 'iter_2.pth'), map_location='cpu',
                            weights_only=False)['state_dict']
    state = torch.load(converted, weights_only=True)['state_dict']
    assert torch.equal(state['backbone.layer4.1.conv2.weight'],
                       pretrained['backbone.layer4.1.conv2.weight'])
    fine = str(tmp_path / 'finetune')
    log = run(['tools/train.py', FINETUNE, '--work-dir', fine, '--cfg-options',
               *toyworld_cfg_options(toyworld, 'shapes'), *NO_WORKERS, 'train_cfg.max_iters=2',
               'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
               f'model.backbone.init_cfg.checkpoint={converted}'])
    assert f'load backbone. in model from: {converted}' in log
    assert 'accuracy/top1' in log


def test_mcl_pretrain_convert_detection_finetune(toyworld, tmp_path):
    pre = str(tmp_path / 'mcl')
    run(['tools/train.py', MCL, '--work-dir', pre, '--cfg-options',
         *toyworld_cfg_options(toyworld, 'shapes_unlabelled'), 'train_dataloader.batch_size=4',
         'model.data_preprocessor.num_montages=[4,1,1,1]', *PRETRAIN_FAST])
    converted = str(tmp_path / 'mcl_mmdet.pth')
    run(['tools/model_converters/mcl_to_mmdet.py', osp.join(pre, 'iter_2.pth'), converted,
         '--source', 'mmvl', '--check-config', MCL_DET])
    det = str(tmp_path / 'det')
    log = run(['tools/train.py', MCL_DET, '--work-dir', det, '--cfg-options',
               *toyworld_cfg_options(toyworld, 'instance'), *NO_WORKERS,
               'train_dataloader.batch_size=2', 'train_cfg.max_iters=2',
               'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=2',
               f'model.init_cfg.checkpoint={converted}'])
    assert f'load model from: {converted}' in log
    # the detector starts from MCL's box-head convolutions, not from its own init
    detector = torch.load(osp.join(det, 'iter_2.pth'), map_location='cpu',
                          weights_only=False)['state_dict']
    source = torch.load(converted, weights_only=True)['state_dict']
    key = 'roi_head.bbox_head.shared_convs.3.conv.weight'
    moved = (detector[key] - source[key]).norm() / source[key].norm()
    assert moved < 0.05, f'{key} is {moved:.2f} (relative) away from the MCL weights'
