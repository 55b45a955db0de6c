# MAE + TBM pre-training on corrupted scikit-learn digits: the corrupted toy MAE + TBM config with
# only the data root changed.
_base_ = '../../tbm/mae-tbm_vit-toy-p8_1xb32-800it_toyworld-c.py'
data_root = 'data/digits/'
train_dataloader = dict(dataset=dict(data_root=data_root))
