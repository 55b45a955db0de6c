# SOHO pre-training on toy-world captions (MLM + MVM + ITM, equal weights): the released
# ResNet-18 / 3-layer recipe shrunk (half-width ResNet-18, 3-layer MiniLM, 192 px, 512 entries).
_base_ = [
    '../_base_/models/grid_vl_r18-half_minilm-toy.py',
    '../_base_/datasets/toyworld_caption_192px.py',
    '../_base_/schedules/grid_vl_adamw-sgd_iter.py', '../_base_/default_runtime.py'
]
model = dict(
    type='SOHOPretrainer',
    itm_head=dict(type='ITMHead'),
    num_tokens=512,  # 2048 in the paper; the toy world has ~7K grid cells per epoch
    decay=0.4,
    gate=True,
    mvm_masker=dict(type='MVMMasker', mask_prob=0.015),
    mlm_masker=dict(type='WholeWordMasker', mask_prob=0.15))
train_cfg = dict(val_interval=100000)  # pre-training only: no validation
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
default_hooks = dict(checkpoint=dict(interval=300, max_keep_ckpts=1))
