# Ablation: SWORD without the universal object queue and its object-background contrastive
# loss (stop-gradient, IoU heads and one-to-many assignment stay).
_base_ = './sword_r18_1xb4-1000it_toyworld-base2novel.py'
model = dict(bbox_head=dict(contrast=None))
