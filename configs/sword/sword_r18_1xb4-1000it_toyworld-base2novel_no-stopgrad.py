# Ablation: SWORD without the stop-gradient before the classification head. The class
# branches read live decoder queries, so classifying unannotated novel objects as background
# shapes the query features that the box, mask and IoU heads use.
_base_ = './sword_r18_1xb4-1000it_toyworld-base2novel.py'
model = dict(bbox_head=dict(stop_grad_cls=False))
