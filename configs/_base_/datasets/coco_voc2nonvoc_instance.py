# VOC -> non-VOC (cross-category), the open-world split of OLN (Kim et al., RA-L 2022,
# mmdet/datasets/coco_split.py), also used by GGN, LDET and SWORD (Wu et al., ICCV 2023):
# train on COCO train2017 keeping only the annotations of the 20 PASCAL VOC classes (objects of
# the other 60 classes stay in the images, unlabelled); evaluate class-agnostically on COCO
# val2017 (all 80 classes loaded), where OpenWorldMetric ignores the VOC-class GT, removes
# detections that hit it from the budget k and scores AR@k / AP on the 60 non-VOC classes.
#
# Data (standard mmdet COCO layout):
#   data/coco/annotations/instances_train2017.json, instances_val2017.json
#   data/coco/train2017/*.jpg, data/coco/val2017/*.jpg
#
# Training is class-agnostic in the model (the head collapses the labels to one "object"
# class); the dataset keeps the 20 VOC labels.
_base_ = './coco_instance_open_world.py'

# The 20 PASCAL VOC classes under their COCO names (OLN's CocoSplitDataset.VOC_CLASSES;
# aeroplane -> airplane, motorbike -> motorcycle, sofa -> couch, pottedplant -> potted plant,
# diningtable -> dining table, tvmonitor -> tv). Kept in COCO category-id order on purpose:
# mmdet numbers the labels in category-id order whatever the order of `classes`, so this order
# makes label i mean VOC_CLASSES[i] (a test checks it).
VOC_CLASSES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'boat', 'bird', 'cat',
    'dog', 'horse', 'sheep', 'cow', 'bottle', 'chair', 'couch', 'potted plant', 'dining table',
    'tv')
# mmdet's COCO palette entries of those classes.
VOC_PALETTE = [(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230), (106, 0, 228),
               (0, 60, 100), (0, 80, 100), (0, 0, 192), (165, 42, 42), (255, 77, 255),
               (0, 226, 252), (182, 182, 255), (0, 82, 0), (120, 166, 157), (197, 226, 255),
               (153, 69, 1), (3, 95, 161), (163, 255, 0), (0, 182, 199), (183, 130, 88)]

train_dataloader = dict(
    dataset=dict(
        # Only the VOC categories are loaded: annotations of the other 60 are dropped, and
        # images left without a VOC object are filtered out (as OLN's _filter_imgs).
        metainfo=dict(classes=VOC_CLASSES, palette=VOC_PALETTE)))
val_dataloader = dict(
    dataset=dict(
        metainfo=dict(classes={{_base_.COCO_CLASSES}}),  # all 80: seen and unseen
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/')))
test_dataloader = val_dataloader

# Non-VOC recall: VOC-class GT ignored, detections on it taken out of the budget k.
val_evaluator = dict(
    type='OpenWorldMetric',
    ann_file=_base_.data_root + 'annotations/instances_val2017.json',
    seen_classes=VOC_CLASSES,
    metric=['bbox', 'segm'],
    proposal_nums={{_base_.proposal_nums}})
test_evaluator = val_evaluator
