"""GridVLClassifier (SNLI-VE on SOHO / Pixel-BERT encoders): CE on the fused [CLS] feature."""
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmvl.registry import MODELS
from mmvl.testing.vl import tiny_grid_encoder


def test_three_way_cross_entropy_on_cls():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='GridVLClassifier', encoder=tiny_grid_encoder(),
        head=dict(type='mmpretrain.StackedLinearClsHead', num_classes=3, mid_channels=[32])))
    images = torch.randn(3, 3, 64, 64)

    def samples():
        return [DataSample(text=t, metainfo=dict(img_shape=(64, 64))).set_gt_label(label)
                for t, label in (('a red circle', 0), ('two cats', 1), ('no square', 2))]

    model.eval()  # deterministic features for the reference computation
    cls = model.extract_feat(images, samples())[:, 0]
    logits = model.head((cls, ))
    expected = F.cross_entropy(logits, torch.tensor([0, 1, 2]))
    loss = model.loss(images, samples())['loss']
    assert torch.allclose(loss, expected, atol=1e-6)
    loss.backward()
    assert model.encoder.bert.encoder.layer[0].output.dense.weight.grad is not None
    with torch.no_grad():
        out = model.predict(images, samples())
    assert [o.pred_score.shape for o in out] == [(3, )] * 3
    assert [int(o.pred_label) for o in out] == logits.argmax(1).tolist()


def test_snli_ve_config_head_trains_under_mmvl_scope():
    """The SNLI-VE config's head (an mmpretrain head) builds and computes its loss in mmvl."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmvl.testing import REPO_ROOT
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs/soho/soho_r101-12l_caption-pre_8xb32-20e_snli-ve.py'))
    with DefaultScope.overwrite_default_scope('mmvl'):
        model = MODELS.build(dict(type='GridVLClassifier', encoder=tiny_grid_encoder(),
                                  head=cfg.model.head))
        samples = [DataSample(text=t, metainfo=dict(img_shape=(64, 64))).set_gt_label(2)
                   for t in ('two dogs', 'a cat')]
        losses = model.loss(torch.randn(2, 3, 64, 64), samples)
    assert losses['loss'] > 0
