# MAE pre-training on unlabelled scikit-learn digits (real 8x8 scans at 64 px, written by
# tools/dataset_converters/make_digits.py): the toy MAE config with only the data root changed.
_base_ = '../../mae/mae_vit-toy-p8_1xb32-800it_toyworld.py'
data_root = 'data/digits/'
train_dataloader = dict(dataset=dict(data_root=data_root))
