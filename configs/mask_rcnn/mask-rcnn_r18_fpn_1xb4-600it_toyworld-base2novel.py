# The Mask R-CNN baseline of the open-world protocol (the "Mask R-CNN" rows of OLN/GGN/LDET and
# SWORD; VOC -> non-VOC in miniature): trained on the 5 base shapes only (novel objects stay in
# the images, unlabelled), scored class-agnostically on the 3 novel shapes with base-shape GT
# ignored by mmvl.OpenWorldMetric.
_base_ = './mask-rcnn_r18_fpn_1xb4-600it_toyworld.py'
base_classes = ('circle', 'square', 'triangle', 'star', 'hexagon')  # toyworld BASE_CLASSES
base_palette = [(220, 20, 60), (0, 130, 200), (60, 180, 75), (255, 225, 25), (145, 30, 180)]
num_classes = len(base_classes)

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)),
    test_cfg=dict(rcnn=dict(max_per_img=100, score_thr=0.0)))  # budgets up to 100
train_dataloader = dict(dataset=dict(metainfo=dict(classes=base_classes, palette=base_palette)))
val_evaluator = dict(
    _delete_=True,
    type='OpenWorldMetric',
    ann_file='data/toyworld/annotations/instances_val.json',
    seen_classes=base_classes,
    metric=['bbox', 'segm'],
    proposal_nums=(10, 20, 50, 100))
test_evaluator = val_evaluator
