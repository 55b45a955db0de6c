# COCO -> Objects365 (cross-dataset), LDET's protocol (Saito et al., ECCV 2022,
# https://github.com/ksaito-ut/openworld_ldet, README "Data Preparation",
# ldet/evaluation/coco_evaluation.py), also used by SWORD (Wu et al., ICCV 2023): train on
# the 80 COCO classes (train2017, with masks); evaluate class-agnostically on Objects365 v2
# val, "all" = every object, "novel" = objects of the Objects365 classes that are not COCO
# classes. Objects365 has boxes only, so the evaluator is bbox only (the model's masks are
# not scored).
#
# Data (mmdet's Objects365 v2 layout, configs/_base_/datasets/objects365v2_detection.py):
#   data/coco/annotations/instances_train2017.json, data/coco/train2017/*.jpg
#   data/Objects365/Obj365_v2/annotations/zhiyuan_objv2_val.json
#   data/Objects365/Obj365_v2/val/images/v1/patch{0..15}/*.jpg,
#       data/Objects365/Obj365_v2/val/images/v2/patch{16..43}/*.jpg  (file_name in the json is
#       'images/v{1,2}/patchN/....jpg'; mmdet's tools/misc/download_dataset.py
#       --dataset-name objects365v2 fetches this layout)
#
# LDET does not evaluate on all ~80k val images: it picks 5000 of them
# (selected_obj365_val.json, LDET README, Google Drive id 1WAeVviaNZTMUNnOfdhOUQWoRajT3Zc6V).
# To reproduce LDET's (and, likely, SWORD's) numbers, set obj365_val_ann to that file (same
# format) for both the dataset and the evaluators.
_base_ = './coco_instance_open_world.py'
obj365_root = 'data/Objects365/Obj365_v2/'
obj365_val_ann = 'annotations/zhiyuan_objv2_val.json'

# Objects365 v2 category names (the json's 'name', spelling included: 'Dinning Table',
# 'Moniter/TV') treated as COCO classes, 80 of them: LDET's list `coco_classes` in
# ldet/evaluation/coco_evaluation.py (the COCO names title-cased, 10 renamed, 'suitcase',
# 'sports ball' and 'teddy bear' dropped, 'Baseball', 'Basketball' and 'American Football'
# added for 'sports ball'). Left out, so counted as novel: 'Luggage' (suitcase), 'Stuffed Toy'
# (teddy bear), the other balls ('Soccer', 'Volleyball', 'Tennis', 'Golf Ball', 'Other Balls'),
# the other birds ('Duck', 'Pigeon', 'Goose', ...) and close relatives such as 'SUV', 'Van',
# 'Pickup Truck', 'Sailboat', 'Ship'. Comments: COCO class.
OBJ365_COCO_CLASSES = (
    'Person',  # person
    'Bicycle',  # bicycle
    'Car',  # car
    'Motorcycle',  # motorcycle
    'Airplane',  # airplane
    'Bus',  # bus
    'Train',  # train
    'Truck',  # truck
    'Boat',  # boat
    'Traffic Light',  # traffic light
    'Fire Hydrant',  # fire hydrant
    'Stop Sign',  # stop sign
    'Parking meter',  # parking meter
    'Bench',  # bench
    'Wild Bird',  # bird
    'Cat',  # cat
    'Dog',  # dog
    'Horse',  # horse
    'Sheep',  # sheep
    'Cow',  # cow
    'Elephant',  # elephant
    'Bear',  # bear
    'Zebra',  # zebra
    'Giraffe',  # giraffe
    'Backpack',  # backpack
    'Umbrella',  # umbrella
    'Handbag/Satchel',  # handbag
    'Tie',  # tie
    'Frisbee',  # frisbee
    'Skiboard',  # skis
    'Snowboard',  # snowboard
    'Kite',  # kite
    'Baseball Bat',  # baseball bat
    'Baseball Glove',  # baseball glove
    'Skateboard',  # skateboard
    'Surfboard',  # surfboard
    'Tennis Racket',  # tennis racket
    'Bottle',  # bottle
    'Wine Glass',  # wine glass
    'Cup',  # cup
    'Fork',  # fork
    'Knife',  # knife
    'Spoon',  # spoon
    'Bowl/Basin',  # bowl
    'Banana',  # banana
    'Apple',  # apple
    'Sandwich',  # sandwich
    'Orange/Tangerine',  # orange
    'Broccoli',  # broccoli
    'Carrot',  # carrot
    'Hot dog',  # hot dog
    'Pizza',  # pizza
    'Donut',  # donut
    'Cake',  # cake
    'Chair',  # chair
    'Couch',  # couch
    'Potted Plant',  # potted plant
    'Bed',  # bed
    'Dinning Table',  # dining table
    'Toilet',  # toilet
    'Moniter/TV',  # tv
    'Laptop',  # laptop
    'Mouse',  # mouse
    'Remote',  # remote
    'Keyboard',  # keyboard
    'Cell Phone',  # cell phone
    'Microwave',  # microwave
    'Oven',  # oven
    'Toaster',  # toaster
    'Sink',  # sink
    'Refrigerator',  # refrigerator
    'Book',  # book
    'Clock',  # clock
    'Vase',  # vase
    'Scissors',  # scissors
    'Hair Dryer',  # hair drier
    'Toothbrush',  # toothbrush
    'Baseball',  # sports ball
    'Basketball',  # sports ball
    'American Football',  # sports ball
)

# Objects365 has boxes only: the base's test pipeline, loading no masks.
test_pipeline = [
    dict(type='mmdet.LoadAnnotations', with_bbox=True) if t['type'] == 'mmdet.LoadAnnotations'
    else t for t in _base_.test_pipeline
]

val_dataloader = dict(
    dataset=dict(
        type='mmdet.Objects365V2Dataset',  # mmdet's, with the 365 v2 names as classes
        data_root=obj365_root,
        ann_file=obj365_val_ann,
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# "all": every Objects365 box is a GT. "novel": GT of OBJ365_COCO_CLASSES ignored, detections
# on it out of the budget (LDET's --exclude-known with eval_obj365). Distinct prefixes keep
# the keys apart ('all/bbox_AR@100', 'novel/bbox_AR@100'), as mmengine's Evaluator requires.
all_evaluator = dict(
    type='OpenWorldMetric',
    ann_file=obj365_root + obj365_val_ann,
    seen_classes=(),
    metric='bbox',
    proposal_nums={{_base_.proposal_nums}},
    prefix='all')
novel_evaluator = dict(all_evaluator, seen_classes=OBJ365_COCO_CLASSES, prefix='novel')
val_evaluator = [all_evaluator, novel_evaluator]
test_evaluator = val_evaluator
