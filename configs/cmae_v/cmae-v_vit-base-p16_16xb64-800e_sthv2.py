# CMAE-V ViT-B pre-training on Something-Something V2 (frame folders, rawframe list),
# 800 epochs: sampling 16 x 2 (VideoMAE's SSv2 setting) and no flip (left / right are
# classes); the temporal shift range halves with the frame interval (0-8 frames, assumed).
_base_ = ['./cmae-v_vit-base-p16_16xb64-800e_kinetics-400.py']
data_root = 'data/sthv2/'
train_pipeline = [
    dict(
        type='TemporalShiftTwoClips', clip_len=16, frame_interval=2, shift_range=(0, 8)),
    dict(type='RawFrameDecode'),
    dict(type='VideoRandomResizedCrop', size=224, scale=(0.44, 1.0)),
    dict(type='ClipColorJitter', clips=(1, )),
    dict(type='PackVideoInputs', mode='clip_list'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RawframeDataset',
        data_root=data_root,
        ann_file='sthv2_train_list_rawframes.txt',
        data_prefix=dict(img='rawframes/'),
        pipeline=train_pipeline))
