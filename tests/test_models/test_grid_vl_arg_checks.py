"""Bad arguments of the SOHO / Pixel-BERT components get one ValueError naming the argument."""
import re

import pytest
from mmpretrain.structures import DataSample

from mmvl.models.multimodal.grid_vl import GridVLEncoder
from mmvl.models.multimodal.region_vqa import BUTDAttentionHead
from mmvl.registry import MODELS

ENCODER = dict(type='GridVLEncoder',
               backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
               in_channels=512, text_model='all-MiniLM-L6-v2', num_hidden_layers=1,
               text_pretrained=False)


def _retrieval(num_negatives, num_hard):
    return dict(type='GridVLRetrieval', encoder=ENCODER, itm_head=dict(type='ITMHead'),
                negative_sampler=dict(type='RetrievalNegativeSampler',
                                      num_negatives=num_negatives), num_hard=num_hard)


@pytest.mark.parametrize('cfg,name', [
    (dict(type='MVMMasker', mask_prob=-0.1), 'mask_prob'),
    (dict(type='MVMMasker', mask_prob=1.5), 'mask_prob'),
    (dict(type='PixelSampler', num_samples=0), 'num_samples'),
    (dict(type='ITMNegativeSampler', prob=1.1), 'prob'),
    (dict(type='ITMNegativeSampler', prob=-0.5), 'prob'),
    (dict(type='RetrievalNegativeSampler', num_negatives=0), 'num_negatives'),
    (dict(type='VisualDictionary', num_tokens=0, dims=4), 'num_tokens'),
    (dict(type='VisualDictionary', num_tokens=8, dims=4, decay=1.0), 'decay'),
    (dict(type='VisualDictionary', num_tokens=8, dims=4, eps=0.0), 'eps'),
    (_retrieval(20, 0), 'num_hard'),
    (_retrieval(4, 5), 'num_hard'),
])
def test_out_of_range_argument_is_an_error(cfg, name):
    with pytest.raises(ValueError, match=name):
        MODELS.build(cfg)


def test_valid_range_ends_are_accepted():
    MODELS.build(dict(type='MVMMasker', mask_prob=1.0))
    MODELS.build(dict(type='ITMNegativeSampler', prob=0.0))
    MODELS.build(dict(type='VisualDictionary', num_tokens=1, dims=4, decay=0.0))


def test_valid_mask_without_img_shape_is_an_error():
    """A padded batch whose samples lack ``img_shape`` must not attend to its padding."""
    samples = [DataSample(metainfo=dict(img_shape=(64, 96))), DataSample()]
    with pytest.raises(ValueError, match=r'data_samples\[1\] has no img_shape'):
        GridVLEncoder.valid_mask(2, (128, 128), (4, 4), samples, 'cpu')
    valid = GridVLEncoder.valid_mask(1, (128, 128), (4, 4), samples[:1], 'cpu')
    assert valid[0].sum() == 2 * 3  # 64 / 32 rows, 96 / 32 columns
    assert GridVLEncoder.valid_mask(1, (128, 128), (4, 4), None, 'cpu').all()


@pytest.mark.parametrize('cls,cfg,name,valid', [
    (GridVLEncoder, dict(ENCODER, visual_embed='learned'), 'visual_embed', "('sine', 'type')"),
    (BUTDAttentionHead, dict(region_channels=8, text_channels=6, question_pooling='max'),
     'question_pooling', "('gru', 'cls', 'mean')"),
])
def test_string_option_outside_its_literal_is_an_error(cls, cfg, name, valid):
    """The typed ``Literal`` options are checked at build time and the error lists them."""
    cfg = {k: v for k, v in cfg.items() if k != 'type'}
    with pytest.raises(ValueError, match=re.escape(f'{name} must be one of {valid}')):
        cls(**cfg)
