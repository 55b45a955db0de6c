# CMAE pre-training on unlabelled scikit-learn digits at 64 px: the toy CMAE config with only the
# data root changed (its 73 px master crop is resized up from the 64 px image, then the two
# pixel-shifted 64 px views are cut from it, as on the toy world).
_base_ = '../../cmae/cmae_vit-toy-p8_1xb32-800it_toyworld.py'
data_root = 'data/digits/'
train_dataloader = dict(dataset=dict(data_root=data_root))
