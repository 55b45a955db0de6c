# Pixel-BERT pre-training on toy-world captions (MLM + ITM, equal weights, random pixel
# sampling): the paper's recipe shrunk (half-width ResNet-18, 3-layer MiniLM, 192 px). At
# stride 64 a 192 px image has 9 pixel features; 4 are sampled (the paper keeps 100 of ~270
# at 800 x 1333 px, a similar share).
_base_ = [
    '../_base_/models/grid_vl_r18-half_minilm-toy.py',
    '../_base_/datasets/toyworld_caption_192px.py',
    '../_base_/schedules/grid_vl_adamw-sgd_iter.py', '../_base_/default_runtime.py'
]
model = dict(
    type='PixelBERTPretrainer',
    encoder=dict(visual_embed='type',
                 backbone=dict(frozen_stages=-1)),  # trained end to end
    itm_head=dict(type='ITMHead'),
    pixel_sampler=dict(type='PixelSampler', num_samples=4),
    mlm_masker=dict(type='WholeWordMasker', mask_prob=0.15))
train_cfg = dict(val_interval=100000)  # pre-training only: no validation
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
default_hooks = dict(checkpoint=dict(interval=300, max_keep_ckpts=1))
