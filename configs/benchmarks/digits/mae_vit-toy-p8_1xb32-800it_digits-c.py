# MAE pre-training on corrupted scikit-learn digits: the corrupted toy MAE config (Gaussian noise,
# severity 5, applied to the stored image before the crop) with only the data root changed.
_base_ = '../../tbm/mae_vit-toy-p8_1xb32-800it_toyworld-c.py'
data_root = 'data/digits/'
train_dataloader = dict(dataset=dict(data_root=data_root))
