# MAE + TBM pre-training on unlabelled scikit-learn digits at 64 px: the toy MAE + TBM config with
# only the data root changed.
_base_ = '../../tbm/mae-tbm_vit-toy-p8_1xb32-800it_toyworld.py'
data_root = 'data/digits/'
train_dataloader = dict(dataset=dict(data_root=data_root))
