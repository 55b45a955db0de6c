# Mask R-CNN on the toy world with a backbone that lives in this project, not in mmvl.
_base_ = 'mmvl::mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py'

# Imported before the model is built; registers ExampleConvNet into mmvl's MODELS.
custom_imports = dict(
    imports=['projects.example_project.example_project'], allow_failed_imports=False)

widths = (32, 64, 128, 256)
model = dict(
    backbone=dict(_delete_=True, type='mmvl.ExampleConvNet', widths=widths),
    neck=dict(in_channels=list(widths)))
