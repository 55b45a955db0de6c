# Flickr30K image-text retrieval on the Karpathy split (dataset_flickr30k.json), paper scale:
# 29,000 train / 1,014 val / 1,000 test images with 5 captions each.
# data/flickr30k/flickr30k_images/<id>.jpg and data/flickr30k/dataset_flickr30k.json.
_base_ = ['./coco_retrieval.py']
data_root = 'data/flickr30k/'
ann_file = 'dataset_flickr30k.json'
train_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix='flickr30k_images', ann_file=ann_file))
val_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix='flickr30k_images', ann_file=ann_file))
test_dataloader = dict(
    dataset=dict(data_root=data_root, data_prefix='flickr30k_images', ann_file=ann_file))
