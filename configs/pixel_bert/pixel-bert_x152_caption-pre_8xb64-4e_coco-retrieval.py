# Pixel-BERT retrieval fine-tuning on COCO (Sec. 4.2): the Flickr30K config's model, pipelines
# and recipe (each image with its caption and 20 random negative captions, softmax CE over the
# ITM scores, 5 hardest negatives back-propagated, Transformer only, AdamW 1e-4 / wd 1e-2) on
# COCO's Karpathy split (configs/_base_/datasets/coco_retrieval.py: train + restval; val; the
# 5K test set) for 4 epochs with x0.1 at epoch 2. COCO 1K: set test_dataloader.dataset.fold to
# 0..4 and average the five runs.
_base_ = ['./pixel-bert_x152_caption-pre_8xb64-10e_flickr30k.py']
coco = dict(data_root='data/coco/', data_prefix='', ann_file='annotations/dataset_coco.json')
train_dataloader = dict(dataset=dict(**coco))
val_dataloader = dict(dataset=dict(**coco, split='val'))
test_dataloader = dict(dataset=dict(**coco, split='test', fold=None))
train_cfg = dict(max_epochs=4, val_interval=4)
param_scheduler = [dict(type='MultiStepLR', milestones=[2], gamma=0.1, by_epoch=True)]
