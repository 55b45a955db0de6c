# MCL's detection transfer in miniature: the toy Mask R-CNN of
# configs/benchmarks/mask-rcnn_r18_fpn_4conv1fc_1xb4-600it_toyworld.py (from scratch there)
# starting from the toy MCL's backbone, FPN and region-neck convolutions (-> box-head convs):
#   python tools/train.py configs/mcl/mcl_resnet18_1xb16-600it_toyworld.py
#   python tools/model_converters/mcl_to_mmdet.py \
#       work_dirs/mcl_resnet18_1xb16-600it_toyworld/iter_600.pth \
#       work_dirs/mcl_resnet18_1xb16-600it_toyworld/mmdet.pth --source mmvl
_base_ = ['../../benchmarks/mask-rcnn_r18_fpn_4conv1fc_1xb4-600it_toyworld.py']
checkpoint = 'work_dirs/mcl_resnet18_1xb16-600it_toyworld/mmdet.pth'
# loaded after every sub-module's own init: the heads MCL does not pre-train keep theirs
model = dict(init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
