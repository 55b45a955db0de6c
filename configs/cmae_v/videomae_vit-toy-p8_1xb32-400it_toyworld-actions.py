# Plain video MAE (VideoMAE) baseline for CMAE-V on the toy action clips: mmpretrain's MAE
# algorithm with CMAE-V's toy encoder, pixel decoder and pixel head, the online clip of the
# same pipeline (no target clip), and the same optimiser, schedule and budget.
_base_ = ['./cmae-v_vit-toy-p8_1xb32-400it_toyworld-actions.py']
model = dict(
    _delete_=True,
    type='mmpretrain.MAE',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.pixel_decoder}},
    head={{_base_.model.pixel_head}},
    init_cfg={{_base_.model.init_cfg}})
train_pipeline = [
    dict(type='PyAVInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=1, num_clips=1),
    dict(type='PyAVDecode'),
    dict(type='VideoRandomResizedCrop', size=64, scale=(0.5, 1.0)),
    dict(type='PackVideoInputs', mode='clip'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = []
