# The closed-world DETR baseline of SWORD's toy-world evidence (the "Def-DETR" column of the
# paper, which collapses on VOC -> non-VOC): the same DINO + dynamic mask head, trained
# class-agnostically on the base shapes, with every SWORD mechanism off -- the classifier reads
# live queries, all branches use one-to-one Hungarian matching, no object queue, no IoU heads
# (the box-IoU branch gets weight 0 and the score is the class probability), no NMS.
_base_ = './sword_r18_1xb4-1000it_toyworld-base2novel.py'
model = dict(
    bbox_head=dict(
        stop_grad_cls=False,
        contrast=None,
        loss_mask_iou=None,
        loss_box_iou=dict(loss_weight=0.0)),
    train_cfg=dict(reg_assigner=None),
    test_cfg=dict(score_form='class', iou_terms=(), nms=None))
