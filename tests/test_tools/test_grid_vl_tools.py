"""SOHO and Pixel-BERT through the real tools on the toy world: caption pre-training ->
VQA fine-tuning from its checkpoint -> tools/test.py (default tier), and Pixel-BERT NLVR2 and
retrieval fine-tuning with their test loops (slow tier)."""
import json
import os.path as osp

import pytest

from mmvl.testing import get_config_path
from test_mae_and_project import NO_WORKERS, run

SOHO_PRE = get_config_path('soho/soho_r18-3l_1xb16-300it_toyworld-caption.py')
SOHO_VQA = get_config_path('soho/soho_r18-3l_caption-pre_1xb16-300it_toyworld-vqa.py')
PB_NLVR2 = get_config_path('pixel_bert/pixel-bert_r18-3l_caption-pre_1xb16-300it_toyworld-nlvr2.py')
PB_RET = get_config_path(
    'pixel_bert/pixel-bert_r18-3l_caption-pre_1xb12-300it_toyworld-retrieval.py')
SHORT = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1']


def _roots(root, loaders=('train', 'val', 'test')):
    return [f'{split}_dataloader.dataset.data_root={root}' for split in loaders]


def _answer_table(root: str) -> str:
    path = osp.join(root, 'vqa', 'answer_table.json')
    if not osp.isfile(path):
        from mmvl.datasets.vl import build_answer_table
        answers = build_answer_table(osp.join(root, 'vqa', 'toyworld_train_annotations.json'),
                                     min_count=1)
        with open(path, 'w') as f:
            json.dump(answers, f)
    return path


def test_soho_pretrain_then_vqa_finetune_and_test(toyworld, tmp_path):
    root = toyworld.rstrip('/') + '/'
    pre = str(tmp_path / 'pre')
    log = run(['tools/train.py', SOHO_PRE, '--work-dir', pre, '--cfg-options',
               *_roots(root, ('train', )), 'train_dataloader.batch_size=4',
               'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
               *SHORT])
    assert 'loss_mvm' in log and 'loss_itm' in log and 'loss_mlm' in log
    assert 'cnn.lr' in log and 'transformer.lr' in log  # both optimizers scheduled
    table = _answer_table(root)
    ckpt = osp.join(pre, 'iter_2.pth')
    fine = str(tmp_path / 'vqa')
    options = [*_roots(root), *NO_WORKERS, f'model.head.answer_table={table}',
               *[f'{s}_dataloader.dataset.answer_table={table}' for s in ('train', 'val', 'test')],
               'train_dataloader.batch_size=4']
    log = run(['tools/train.py', SOHO_VQA, '--work-dir', fine, '--cfg-options', *options,
               f'model.init_cfg.checkpoint={ckpt}', *SHORT])
    assert f'load model from: {ckpt}' in log
    assert 'VQA/acc_yes_no' in log
    log = run(['tools/test.py', SOHO_VQA, osp.join(fine, 'iter_2.pth'), '--work-dir',
               str(tmp_path / 'test'), '--cfg-options', *options, 'model.init_cfg=None'])
    assert 'VQA/acc:' in log and 'VQA/acc_number' in log


@pytest.mark.slow
def test_pixel_bert_nlvr2_and_retrieval(toyworld, tmp_path):
    root = toyworld.rstrip('/') + '/'
    log = run(['tools/train.py', PB_NLVR2, '--work-dir', str(tmp_path / 'nlvr2'),
               '--cfg-options', *_roots(root), *NO_WORKERS, 'model.init_cfg=None',
               'train_dataloader.batch_size=4', *SHORT])
    assert 'loss_nlvr2' in log and 'accuracy/top1' in log
    ret = str(tmp_path / 'ret')
    log = run(['tools/train.py', PB_RET, '--work-dir', ret, '--cfg-options', *_roots(root),
               *NO_WORKERS, 'model.init_cfg=None', 'train_dataloader.batch_size=6',
               'model.negative_sampler.num_negatives=5', 'model.num_hard=2', *SHORT])
    assert 'loss_rank' in log and 'i2t/retrieval/Recall@1' in log
    log = run(['tools/test.py', PB_RET, osp.join(ret, 'iter_2.pth'), '--work-dir',
               str(tmp_path / 'ret_test'), '--cfg-options', *_roots(root), *NO_WORKERS,
               'model.init_cfg=None'])
    assert 't2i/retrieval/Recall@10' in log
