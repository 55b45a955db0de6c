# Linear probe on scikit-learn digits (10 classes; 1,437 train / 360 val images):
# the corrupted toy MAE + TBM probe (TBMs kept; corrupted train and val images)
# with the digits folders and a 10-way head, loading the backbone of
#   python tools/train.py configs/benchmarks/digits/mae-tbm_vit-toy-p8_1xb32-800it_digits-c.py
_base_ = '../../tbm/benchmarks/vit-tbm-toy-p8_linear-1xb64-300it_toyworld-c.py'
data_root = 'data/digits/'
classes = ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')
digits = dict(data_root=data_root, metainfo=dict(classes=classes))
train_dataloader = dict(dataset=digits)
val_dataloader = dict(dataset=digits)
test_dataloader = val_dataloader
model = dict(
    data_preprocessor=dict(num_classes=len(classes)),
    backbone=dict(
        init_cfg=dict(
            checkpoint='work_dirs/mae-tbm_vit-toy-p8_1xb32-800it_digits-c/iter_800.pth')),
    head=dict(num_classes=len(classes)))
