"""SOHO pre-training can learn ITM: it should overfit one fixed batch.

Known failure (measured 2026-11-23, this test and /tmp scripts): after 60 AdamW steps at 3e-4
(and 150 at 1e-3) on 4 fixed pairs, ITM accuracy stays at chance (38.8 % here; 56.3 % after
150 steps), also with four solid-colour images, and Pixel-BERT behaves the same (61.3 %). With
the untrained tiny encoder the fused text [CLS] barely depends on the image (two images with
the same caption: [CLS] differs by 0.027 at norm 8.2, while their visual tokens differ by 13 at
norm 39), so ITM gets almost no image signal; the cause is not found yet. ``strict=True``: the
test turns red once ITM learns, so that the mark gets removed.
"""
import pytest
import torch
from mmpretrain.structures import DataSample

from mmvl.registry import MODELS
from mmvl.testing.vl import tiny_grid_encoder

CAPTIONS = ['a red circle', 'a blue square left of a green star', 'two yellow triangles',
            'a small purple square']


@pytest.mark.slow  # about 30 s CPU, 90 s on the shared machine
@pytest.mark.xfail(strict=True, reason='ITM does not learn one batch yet; see the docstring')
def test_itm_overfits_one_batch():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='SOHOPretrainer', encoder=tiny_grid_encoder(),
                              itm_head=dict(type='ITMHead'), num_tokens=16,
                              mvm_masker=dict(type='MVMMasker', mask_prob=0.0)))
    images = torch.randn(4, 3, 128, 128)
    samples = [DataSample(text=c, image_id=i, metainfo=dict(img_shape=(128, 128)))
               for i, c in enumerate(CAPTIONS)]
    optim = torch.optim.AdamW(model.parameters(), lr=3e-4)
    model.train()
    for _ in range(STEPS):
        loss = model.loss(images, samples)
        optim.zero_grad()
        (loss['loss_itm'] + loss['loss_mlm']).backward()
        optim.step()
    model.eval()  # dropout off, dictionary frozen; the sampler still draws negatives
    with torch.no_grad():
        acc = torch.stack([model.loss(images, samples)['acc_itm'] for _ in range(20)]).mean()
    assert acc > 90, f'ITM accuracy {acc:.1f} % on the training batch after {STEPS} steps'


STEPS = 60
