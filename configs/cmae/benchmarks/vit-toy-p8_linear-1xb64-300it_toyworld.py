# Linear probe of a CMAE-pre-trained toy ViT: the MAE probe (same frozen encoder, mean-pooled
# patch tokens, fresh norm, linear head, 300 iterations) on the backbone that
#   python tools/train.py configs/cmae/cmae_vit-toy-p8_1xb32-800it_toyworld.py
# writes; CMAE's online encoder has MAE's key names, so the same probe loads it.
_base_ = ['../../mae/benchmarks/vit-toy-p8_linear-1xb64-300it_toyworld.py']
model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='work_dirs/cmae_vit-toy-p8_1xb32-800it_toyworld/iter_800.pth')))
