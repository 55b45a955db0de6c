# COCO -> UVO (cross-dataset), LDET's protocol (Saito et al., ECCV 2022,
# https://github.com/ksaito-ut/openworld_ldet, README "Data Preparation" and
# ldet/data/builtin.py), also used by GGN and SWORD (Wu et al., ICCV 2023): train on all 80
# COCO classes of train2017; test class-agnostically on frames of UVO v0.5 (Wang et al.,
# ICCV 2021), where every object is annotated whatever its category.
#
# Data:
#   data/coco/annotations/instances_train2017.json, data/coco/train2017/*.jpg
#   data/uvo/uvo_frames_sparse/<video_id>/<frame>.png  frames of the videos of
#       uvo_videos_sparse.zip (UVO's Google Drive), split with UVO's video2frames.py
#   data/uvo/annotations/UVO_frame_val_exist.json  LDET's COCO-format (image-level) val
#       json (LDET README, Google Drive id 1bn4oIdV53xVTPfp9BG9dplCcpZ6Yz3hR): the frames of
#       UVO's FrameSet/UVO_frame_val.json (7356 frames, 2452 videos) restricted to 742 videos
#       (ksaito-ut/openworld_ldet issue #7 asks why; unanswered). UVO's own
#       FrameSet/UVO_frame_val.json can be used instead (same format); the VideoSparseSet
#       files (UVO_sparse_val_video.json) are video (YouTube-VIS) format and cannot be read
#       by CocoDataset.
#
# "all" only: UVO's sparse/frame annotations carry no semantic labels (UVO v1.0 README: COCO
# labels exist only for the VideoDenseSet), so every object is one class and LDET evaluates
# UVO without excluding known classes (tools/trainer_ldet.py forces exclude_known=False for
# 'uvo'); a "novel" split cannot be formed from categories here. A "novel" score (SWORD's
# radar plot reports one) needs GT with COCO labels: UVO v1.0's VideoDenseSet
# (UVO_video_val_dense.json, 30 fps; objects of COCO classes carry their COCO name, all others
# one "other" class) converted to an image-level COCO json of its frames, then
#   novel_evaluator = dict(type='OpenWorldMetric', ann_file=<that json>,
#                          seen_classes={{_base_.COCO_CLASSES}}, metric=['bbox', 'segm'],
#                          proposal_nums={{_base_.proposal_nums}}, prefix='novel')
# and val_evaluator = [all_evaluator, novel_evaluator] (with that json's frames as the val
# set). Neither the conversion nor that json is part of mmvl yet.
_base_ = './coco_instance_open_world.py'
uvo_root = 'data/uvo/'
uvo_val_ann = 'annotations/UVO_frame_val_exist.json'

# Category name(s) of the val json (unchecked: LDET's json is on Google Drive only). Only the
# dataset's GT packing uses them (OpenWorldMetric reads its ann_file itself); if the file names
# its categories differently, CocoDataset says so and lists them: put those names here.
UVO_CLASSES = ('object', )

val_dataloader = dict(
    dataset=dict(
        data_root=uvo_root,
        metainfo=dict(classes=UVO_CLASSES),
        ann_file=uvo_val_ann,
        data_prefix=dict(img='uvo_frames_sparse/')))
test_dataloader = val_dataloader

# "all": every UVO object is a GT, nothing is seen (plain class-agnostic COCO evaluation).
all_evaluator = dict(
    type='OpenWorldMetric',
    ann_file=uvo_root + uvo_val_ann,
    seen_classes=(),
    metric=['bbox', 'segm'],
    proposal_nums={{_base_.proposal_nums}},
    prefix='all')
val_evaluator = all_evaluator
test_evaluator = val_evaluator
