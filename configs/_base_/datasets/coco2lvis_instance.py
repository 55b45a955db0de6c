# COCO -> LVIS (cross-dataset, cross-category), GGN's split (Wang et al., CVPR 2022,
# https://github.com/facebookresearch/Generic-Grouping, README model zoo "COCO, LVIS ->
# Non-COCO, LVIS"), also used by SWORD (Wu et al., ICCV 2023): train on the 80 COCO classes;
# evaluate class-agnostically on LVIS v1 val, "novel" = the LVIS categories that are not COCO
# classes (the COCO-matched ones are seen: their GT is ignored and detections on them leave
# the budget), "all" = every LVIS object.
#
# Data:
#   data/coco/annotations/instances_train2017.json, data/coco/train2017/*.jpg
#   data/coco/annotations/lvis_v1_val.json  (https://www.lvisdataset.org/dataset); LVIS v1
#       images are COCO 2017 images: the json has no file_name, mmdet's LVISV1Dataset takes
#       'train2017/<id>.jpg' or 'val2017/<id>.jpg' from each image's coco_url, so the images
#       are found under data/coco/ as they are. LVISV1Dataset needs the `lvis` package
#       (pip install lvis); mmvl's CocoDataset cannot read the file (no file_name).
#
# Caveats:
# - LVIS v1 val (19.8k images) takes most of its images from COCO train2017 (at most 5k can
#   come from val2017; each coco_url says which), i.e. images the model was trained on, with
#   their non-COCO objects as background. GGN trains this split on a processed json released
#   on Google Drive only (README "COCO, LVIS" link); judging by the name it has in the
#   follow-up UDOS code (tarun005/UDOS datasets/val_dataset_utils.py,
#   lvis_v1_train_coco_filtered_0.5_oln_compatible_cocoval.json), it holds the COCO-class
#   annotations of LVIS *train* images, which do not overlap LVIS val. With such a json, point
#   train_dataloader at it.
# - LVIS annotations have no 'iscrowd', which pycocotools' COCOeval reads; OpenWorldMetric
#   treats a missing 'iscrowd' as 0, so the raw lvis_v1_val.json is evaluated as it is.
# - The val set is read by mmdet's LVISV1Dataset, which needs the `lvis` package
#   (pip install lvis); mmdet names it in its error if it is missing.
# - LVIS is federatedly annotated (neg_category_ids / not_exhaustive_category_ids per image):
#   missing GT only costs AP (unmatched detections count as false positives), not AR, which
#   is the number GGN and SWORD report for this split.
_base_ = './coco_instance_open_world.py'
lvis_val_ann = 'annotations/lvis_v1_val.json'
lvis_metric_ann = _base_.data_root + lvis_val_ann

# LVIS v1 category names (the json's 'name') of the COCO classes, 79 of them. GGN's processed
# jsons are on Google Drive only, so the mapping is rebuilt from the official COCO -> LVIS
# synset mapping, lvis-api data/coco_to_synset.json, as copied into detectron2's
# datasets/prepare_cocofied_lvis.py (COCO_SYNSET_CATEGORIES), with each synset's name taken
# from LVIS v1 val's categories (detectron2/data/datasets/lvis_v1_categories.py).
# Comments: COCO class (synset).
LVIS_COCO_CLASSES = (
    'person',  # person (person.n.01)
    'bicycle',  # bicycle (bicycle.n.01)
    'car_(automobile)',  # car (car.n.01)
    'motorcycle',  # motorcycle (motorcycle.n.01)
    'airplane',  # airplane (airplane.n.01)
    'bus_(vehicle)',  # bus (bus.n.01)
    'train_(railroad_vehicle)',  # train (train.n.01)
    'truck',  # truck (truck.n.01)
    'boat',  # boat (boat.n.01)
    'traffic_light',  # traffic light (traffic_light.n.01)
    'fireplug',  # fire hydrant (fireplug.n.01)
    'stop_sign',  # stop sign (stop_sign.n.01)
    'parking_meter',  # parking meter (parking_meter.n.01)
    'bench',  # bench (bench.n.01)
    'bird',  # bird (bird.n.01)
    'cat',  # cat (cat.n.01)
    'dog',  # dog (dog.n.01)
    'horse',  # horse (horse.n.01)
    'sheep',  # sheep (sheep.n.01)
    'cow',  # cow (beef.n.01)
    'elephant',  # elephant (elephant.n.01)
    'bear',  # bear (bear.n.01)
    'zebra',  # zebra (zebra.n.01)
    'giraffe',  # giraffe (giraffe.n.01)
    'backpack',  # backpack (backpack.n.01)
    'umbrella',  # umbrella (umbrella.n.01)
    'handbag',  # handbag (bag.n.04)
    'necktie',  # tie (necktie.n.01)
    'suitcase',  # suitcase (bag.n.06)
    'frisbee',  # frisbee (frisbee.n.01)
    'ski',  # skis (ski.n.01)
    'snowboard',  # snowboard (snowboard.n.01)
    'ball',  # sports ball (ball.n.06)
    'kite',  # kite (kite.n.03)
    'baseball_bat',  # baseball bat (baseball_bat.n.01)
    'baseball_glove',  # baseball glove (baseball_glove.n.01)
    'skateboard',  # skateboard (skateboard.n.01)
    'surfboard',  # surfboard (surfboard.n.01)
    'tennis_racket',  # tennis racket (tennis_racket.n.01)
    'bottle',  # bottle (bottle.n.01)
    'wineglass',  # wine glass (wineglass.n.01)
    'cup',  # cup (cup.n.01)
    'fork',  # fork (fork.n.01)
    'knife',  # knife (knife.n.01)
    'spoon',  # spoon (spoon.n.01)
    'bowl',  # bowl (bowl.n.03)
    'banana',  # banana (banana.n.02)
    'apple',  # apple (apple.n.01)
    'sandwich',  # sandwich (sandwich.n.01)
    'orange_(fruit)',  # orange (orange.n.01)
    'broccoli',  # broccoli (broccoli.n.01)
    'carrot',  # carrot (carrot.n.01)
    # (hot dog: frank.n.02 has no LVIS v1 category)
    'pizza',  # pizza (pizza.n.01)
    'doughnut',  # donut (doughnut.n.02)
    'cake',  # cake (cake.n.03)
    'chair',  # chair (chair.n.01)
    'sofa',  # couch (sofa.n.01)
    'flowerpot',  # potted plant (pot.n.04)
    'bed',  # bed (bed.n.01)
    'dining_table',  # dining table (dining_table.n.01)
    'toilet',  # toilet (toilet.n.02)
    'television_set',  # tv (television_receiver.n.01)
    'laptop_computer',  # laptop (laptop.n.01)
    'mouse_(computer_equipment)',  # mouse (mouse.n.04)
    'remote_control',  # remote (remote_control.n.01)
    'computer_keyboard',  # keyboard (computer_keyboard.n.01)
    'cellular_telephone',  # cell phone (cellular_telephone.n.01)
    'microwave_oven',  # microwave (microwave.n.02)
    'oven',  # oven (oven.n.01)
    'toaster',  # toaster (toaster.n.02)
    'sink',  # sink (sink.n.01)
    'refrigerator',  # refrigerator (electric_refrigerator.n.01)
    'book',  # book (book.n.01)
    'clock',  # clock (clock.n.01)
    'vase',  # vase (vase.n.01)
    'scissors',  # scissors (scissors.n.01)
    'teddy_bear',  # teddy bear (teddy.n.01)
    'hair_dryer',  # hair drier (hand_blower.n.01)
    'toothbrush',  # toothbrush (toothbrush.n.01)
)

val_dataloader = dict(
    dataset=dict(
        type='mmdet.LVISV1Dataset',  # all 1203 LVIS categories
        # data_root: the base's data/coco/
        ann_file=lvis_val_ann,
        data_prefix=dict(img='')))  # file names 'train2017/...' / 'val2017/...' from coco_url
test_dataloader = val_dataloader

# "all": every LVIS object is a GT. "novel": GT of LVIS_COCO_CLASSES ignored, detections on it
# out of the budget (GGN's "Non-COCO, LVIS"). Distinct prefixes keep the keys apart
# ('all/segm_AR@100', 'novel/segm_AR@100'), as mmengine's Evaluator requires.
all_evaluator = dict(
    type='OpenWorldMetric',
    ann_file=lvis_metric_ann,
    seen_classes=(),
    metric=['bbox', 'segm'],
    proposal_nums={{_base_.proposal_nums}},
    prefix='all')
novel_evaluator = dict(all_evaluator, seen_classes=LVIS_COCO_CLASSES, prefix='novel')
val_evaluator = [all_evaluator, novel_evaluator]
test_evaluator = val_evaluator
