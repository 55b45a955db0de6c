# Copyright (c) mmvl contributors. All rights reserved.
"""Compare mmvl's CMAE with the authors' code on the same weights and the same random draws.

Needs a checkout of github.com/ZhichengHuang/CMAE (e786a52 checked); nothing of it is copied
into mmvl, it is imported from ``--authors-repo``. Both models are built at a small size
(ViT 64-d x 2 layers, 64 px, 8 px patches, decoders 32-d), the authors' one is initialised,
its state dict converted with ``tools/model_converters/cmae_to_mmvl.py`` and loaded strictly
into mmvl's (the toy model config, resized). One step on the same images and the same seed
(so the same block-mask noise) then gives both losses, the online encoder's gradients and the
target after one EMA update, whose largest differences are printed.

The authors' code imports ``timm`` (not an mmvl dependency) for augmentations unused here, so
empty stand-ins are registered; their head puts labels on the GPU with ``.cuda()``, which is
made a no-op, and calls ``torch.distributed.get_rank()``, so a one-process gloo group is set up.

Example::

    python tools/misc/cmae_authors_parity.py --authors-repo /path/to/CMAE
"""
import argparse
import importlib
import importlib.machinery
import os
import os.path as osp
import sys
import types

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCH = dict(embed_dims=64, num_layers=2, num_heads=4, feedforward_channels=128)
BN = dict(type='BN1d', eps=1e-6)


def _mlp(in_channels):
    return dict(type='NonLinearNeck', in_channels=in_channels, hid_channels=96, out_channels=32,
                num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False,
                norm_cfg=BN)


def _authors_model():
    from cmae.registry import MODELS as AUTHORS
    from mmengine.registry import init_default_scope
    vit = dict(type='CMAEViT', arch=ARCH, img_size=64, patch_size=8)
    decoder = dict(type='MAEPretrainDecoder', num_patches=64, patch_size=8, in_chans=3,
                   embed_dim=64, decoder_embed_dim=32, decoder_num_heads=4, mlp_ratio=4.)
    init_default_scope('cmae')
    return AUTHORS.build(dict(
        type='CMAE',
        backbone=dict(online=dict(vit, mask_ratio=0.65),
                      target=dict(vit, mask_ratio=0., final_norm=False)),
        # their feature width is patch_size**2 * in_chans: 8 * 8 * 1 = 64, the encoder width
        neck=dict(pixel=dict(decoder, decoder_depth=2),
                  feature=dict(decoder, decoder_depth=1, in_chans=1), projector=_mlp(64)),
        head=dict(type='CMAEPretrainHead', predictor=_mlp(32), temperature=0.07, norm_pix=True,
                  patch_size=8)))


def _mmvl_model():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmvl.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/models/cmae_vit-toy-p8.py')).model
    for key in ('backbone', 'target_backbone'):
        cfg[key].update(arch=ARCH)
    for key, depth, out in (('pixel_decoder', 2, None), ('feature_decoder', 1, 64)):
        cfg[key].update(embed_dim=64, decoder_embed_dim=32, decoder_depth=depth,
                        decoder_num_heads=4, predict_feature_dim=out)
    cfg.projector.update(in_channels=64, hid_channels=96, out_channels=32, norm_cfg=BN)
    cfg.contrastive_head.predictor.update(in_channels=32, hid_channels=96, out_channels=32,
                                          norm_cfg=BN)
    init_default_scope('mmvl')
    return MODELS.build(cfg)


def _max_diff(first: dict, second: dict) -> float:
    return max((first[name] - second[name]).abs().max().item() for name in second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--authors-repo', required=True, help='checkout of ZhichengHuang/CMAE')
    parser.add_argument('--batch-size', type=int, default=8)
    args = parser.parse_args()
    if not osp.isdir(osp.join(args.authors_repo, 'cmae')):
        parser.error(f'{args.authors_repo} has no cmae/ package: pass the CMAE checkout')

    sys.path.insert(0, REPO_ROOT)
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
    importlib.import_module('mmvl.models')  # imports transformers before timm is stubbed
    from cmae_to_mmvl import convert
    for name in ('timm', 'timm.data', 'timm.data.mixup'):
        sys.modules.setdefault(name, types.ModuleType(name))
        sys.modules[name].__spec__ = importlib.machinery.ModuleSpec(name, None)
    sys.modules['timm.data'].create_transform = None
    sys.modules['timm.data.mixup'].Mixup = object
    torch.Tensor.cuda = lambda self, *a, **k: self  # their labels go to the GPU
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', '29533')
    torch.distributed.init_process_group('gloo', rank=0, world_size=1)
    sys.path.insert(0, args.authors_repo)
    importlib.import_module('cmae.models')  # registers the authors' modules

    torch.manual_seed(0)
    theirs = _authors_model()
    theirs.init_weights()
    ours = _mmvl_model()
    ours.load_state_dict(convert(theirs.state_dict(), 'pretrain'), strict=True)
    theirs.train()
    ours.train()

    gen = torch.Generator().manual_seed(1)
    online, target = (torch.randn(args.batch_size, 3, 64, 64, generator=gen) for _ in range(2))
    torch.manual_seed(5)
    their_losses = theirs.forward_train(online, target)
    torch.manual_seed(5)
    our_losses = ours.loss([online, target])
    for key in ('loss_rc', 'loss_ct'):
        print(f'{key}: authors {their_losses[key].item():.7f}  mmvl {our_losses[key].item():.7f}'
              f'  |diff| {abs(their_losses[key].item() - our_losses[key].item()):.2e}')
    (their_losses['loss_rc'] + their_losses['loss_ct']).backward()
    (our_losses['loss_rc'] + our_losses['loss_ct']).backward()
    grads = [{n: p.grad for n, p in m.backbone.named_parameters() if p.grad is not None}
             for m in (theirs, ours)]
    print(f'online encoder gradients: max |diff| {_max_diff(*grads):.2e}')
    theirs.momentum_update()
    ours.update_target()
    targets = [dict(theirs.target_backbone.named_parameters()),
               dict(ours.target.module.backbone.named_parameters())]
    print(f'target encoder after one EMA step: max |diff| {_max_diff(*targets):.2e}')
    torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main()
