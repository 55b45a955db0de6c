"""tools/model_converters/soho_to_mmvl.py on state dicts written with the authors' key names.

The names below are written out from the authors' model definitions
(github.com/researchmm/soho@95824a8), not read from mmvl's modules:

- ``models/models/soho_singleStream_Pre.py`` ``SOHOSingleStreamPre``: ``backbone`` (mmdet-1.x
  ``ResNet``: ``conv1``, ``bn1``, ``layer<i>.<j>.{conv1,bn1,conv2,bn2,downsample.0,
  downsample.1}``), ``neck``, ``language`` (``VLBertModel`` -> ``bert``), ``head``, and
  ``mask_l_fc`` (tied to the word embeddings).
- ``necks/necks.py`` ``SimpleVDforPreGate``: ``conv`` (``ConvModule``: ``conv``, ``bn``),
  ``ln``, ``mask_emb`` (``nn.Embedding(1, C)``), ``vq`` (``SOHO_Pre_VD`` buffers ``embed``,
  ``cluster_size``, ``cluster_sum``, ``embed_avg``), ``gate_fc`` (``ConvModule`` 2C -> 2 with
  the neck's SyncBN), ``pos_line``.
- ``languages/bert.py``: ``embeddings.{word,position,token_type}_embeddings``,
  ``embeddings.LayerNorm``, ``encoder.layer.<i>.attention.self.{query,key,value}``,
  ``attention.output.{dense,LayerNorm}``, ``intermediate.dense``, ``output.{dense,LayerNorm}``;
  no pooler.
- ``heads/soho_pre_head.py``: ``match_class`` (Linear(C, 2), no bias);
  ``heads/soho_downstream_vqa_head.py``: ``vqa`` = Linear, ReLU, Dropout, Linear.
"""
import os.path as osp
import sys

import pytest
import torch

from mmvl.registry import MODELS
from mmvl.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
import soho_to_mmvl as conv  # noqa: E402
from selfsup_to_backbone import ConversionError  # noqa: E402

sys.path.pop(0)

C, FFN, VOCAB, POS, K, ANSWERS = 384, 1536, 30522, 512, 8, 5  # MiniLM widths, 1 BERT layer
ENCODER = dict(type='GridVLEncoder',
               backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
               in_channels=512, text_model='all-MiniLM-L6-v2', num_hidden_layers=1,
               text_pretrained=False)


def _bn(prefix, n):
    return {f'{prefix}.weight': (n, ), f'{prefix}.bias': (n, ), f'{prefix}.running_mean': (n, ),
            f'{prefix}.running_var': (n, ), f'{prefix}.num_batches_tracked': ()}


def _resnet18():
    keys = {'backbone.conv1.weight': (64, 3, 7, 7), **_bn('backbone.bn1', 64)}
    cin = 64
    for i, cout in enumerate((64, 128, 256, 512), 1):
        for j in range(2):
            p = f'backbone.layer{i}.{j}'
            keys[f'{p}.conv1.weight'] = (cout, cin if j == 0 else cout, 3, 3)
            keys.update(_bn(f'{p}.bn1', cout))
            keys[f'{p}.conv2.weight'] = (cout, cout, 3, 3)
            keys.update(_bn(f'{p}.bn2', cout))
            if j == 0 and i > 1:
                keys[f'{p}.downsample.0.weight'] = (cout, cin, 1, 1)
                keys.update(_bn(f'{p}.downsample.1', cout))
        cin = cout
    return keys


def _bert(num_layers=1):
    e = 'language.bert.embeddings'
    keys = {f'{e}.word_embeddings.weight': (VOCAB, C), f'{e}.position_embeddings.weight': (POS, C),
            f'{e}.token_type_embeddings.weight': (2, C), f'{e}.LayerNorm.weight': (C, ),
            f'{e}.LayerNorm.bias': (C, )}
    for i in range(num_layers):
        p = f'language.bert.encoder.layer.{i}'
        for name in ('attention.self.query', 'attention.self.key', 'attention.self.value',
                     'attention.output.dense'):
            keys.update({f'{p}.{name}.weight': (C, C), f'{p}.{name}.bias': (C, )})
        for name in ('attention.output.LayerNorm', 'output.LayerNorm'):
            keys.update({f'{p}.{name}.weight': (C, ), f'{p}.{name}.bias': (C, )})
        keys.update({f'{p}.intermediate.dense.weight': (FFN, C),
                     f'{p}.intermediate.dense.bias': (FFN, ),
                     f'{p}.output.dense.weight': (C, FFN), f'{p}.output.dense.bias': (C, )})
    return keys


def _neck(pretrain, k=K):
    keys = {'neck.conv.conv.weight': (C, 512, 1, 1), **_bn('neck.conv.bn', C),
            'neck.ln.weight': (C, ), 'neck.ln.bias': (C, )}
    if pretrain:
        keys.update({'neck.mask_emb.weight': (1, C), 'neck.vq.embed': (k, C),
                     'neck.vq.cluster_size': (k, ), 'neck.vq.cluster_sum': (k, ),
                     'neck.vq.embed_avg': (k, C), 'neck.gate_fc.conv.weight': (2, 2 * C, 1, 1),
                     **_bn('neck.gate_fc.bn', 2), 'neck.pos_line.weight': (C, C),
                     'neck.pos_line.bias': (C, )})
    return keys


def _state(shapes):
    gen = torch.Generator().manual_seed(0)
    return {k: (torch.randint(0, 5, s, generator=gen) if k.endswith('num_batches_tracked')
                else torch.randn(s, generator=gen)) for k, s in shapes.items()}


def authors_pretrain(num_layers=1, k=K):
    state = _state({**_resnet18(), **_neck(True, k), **_bert(num_layers),
                    'head.match_class.weight': (2, C)})
    state['mask_l_fc.weight'] = state['language.bert.embeddings.word_embeddings.weight']
    return state


def authors_vqa():
    return _state({**_resnet18(), **_neck(False), **_bert(), 'head.vqa.0.weight': (4 * C, C),
                   'head.vqa.0.bias': (4 * C, ), 'head.vqa.3.weight': (ANSWERS, 4 * C),
                   'head.vqa.3.bias': (ANSWERS, )})


def test_pretrain_checkpoint_loads_strictly(tmp_path):
    src = authors_pretrain()
    torch.save({'state_dict': src, 'meta': {}}, tmp_path / 'soho.pth')
    assert conv.main(['--format', 'pretrain', str(tmp_path / 'soho.pth'),
                      str(tmp_path / 'out.pth')]) == 0
    state = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    model = MODELS.build(dict(type='SOHOPretrainer', encoder=ENCODER,
                              itm_head=dict(type='ITMHead'), num_tokens=K))
    model.load_state_dict(state, strict=True)
    assert torch.equal(model.vd.embed, src['neck.vq.embed'])
    assert torch.equal(model.mask_embed, src['neck.mask_emb.weight'][0])
    assert torch.equal(model.gate.bn.running_var, src['neck.gate_fc.bn.running_var'])
    assert torch.equal(model.encoder.backbone.layer3[0].downsample[1].weight,
                       src['backbone.layer3.0.downsample.1.weight'])
    assert torch.equal(model.encoder.bert.encoder.layer[0].attention.self.key.bias,
                       src['language.bert.encoder.layer.0.attention.self.key.bias'])
    assert torch.equal(model.itm_head.fc.weight, src['head.match_class.weight'])
    # the MLM layer is the (converted) word-embedding matrix
    hidden = torch.randn(2, C)
    assert torch.allclose(model.mlm_logits(hidden), hidden @ src['mask_l_fc.weight'].t())


def test_pretrain_checkpoint_loads_into_shipped_config():
    """The converted dict loads strictly into the model of the shipped R18-3L config.

    BERT-base cannot be downloaded here, so, as in ``tests/test_configs.py``, the text side is
    the packaged MiniLM (a BERT of width 384) cut to the config's 3 layers; every other setting
    (ResNet-18, 2,048 dictionary entries, gate, heads) is the config's own.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/soho/soho_r18-3l_8xb64-40e_coco-vg-caption.py'))
    assert cfg.model.encoder.text_model == 'bert-base-uncased'
    cfg.model.encoder.text_model = 'all-MiniLM-L6-v2'
    cfg.model.encoder.text_pretrained = False
    model = MODELS.build(cfg.model)
    src = authors_pretrain(cfg.model.encoder.num_hidden_layers, cfg.model.num_tokens)
    model.load_state_dict(conv.convert(src, 'pretrain'), strict=True)
    assert torch.equal(model.vd.embed, src['neck.vq.embed'])
    assert torch.equal(model.encoder.bert.encoder.layer[2].output.dense.weight,
                       src['language.bert.encoder.layer.2.output.dense.weight'])


def test_vqa_checkpoint_loads_strictly():
    src = authors_vqa()
    state = conv.convert(src, 'vqa')
    model = MODELS.build(dict(type='GridVLVQA', encoder=ENCODER,
                              head=dict(type='VQAClassificationHead', hidden_channels=4 * C,
                                        num_answers=ANSWERS, dropout=0.5)))
    model.load_state_dict(state, strict=True)
    assert torch.equal(model.head.mlp[3].bias, src['head.vqa.3.bias'])


def test_unknown_key_and_wrong_format_are_errors():
    src = authors_pretrain()
    with pytest.raises(ConversionError, match='head.vqa.0.weight'):
        conv.convert(authors_vqa(), 'pretrain')
    src['neck.begin_line.weight'] = torch.zeros(1)
    with pytest.raises(ConversionError, match='neck.begin_line.weight'):
        conv.convert(src, 'pretrain')
