# Rich-region VQA on the toy world with the MCAN head (encoder-decoder co-attention; Yu et al.,
# CVPR 2019) instead of BUTD's, shrunk for the toy world: d = 128, 2 + 2 layers, 4 heads.
_base_ = './butd-bert-minilm_toy-r18-regions_1xb32-1500it_toyworld-vqa.py'
model = dict(
    head=dict(
        _delete_=True,
        type='MCANHead',
        region_channels=256,
        hidden_channels=128,
        out_channels=256,
        num_layers=2,
        num_heads=4,
        question_proj='lstm',
        dropout=0.1))
# MCAN: Adam, lr 1e-4 x warm-up, beta2 0.98; the toy run uses a larger rate for its short
# schedule.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=5e-4, betas=(0.9, 0.98)),
    clip_grad=None)
