# SOHO VQA fine-tuning, the released recipe (configs/VQA/soho_res18_vqa.py): the pre-trained
# ResNet-18 / 3-layer model without the visual dictionary, [CLS] -> 768 -> 3072 -> ReLU ->
# Dropout 0.5 -> 3,129, BCE x number of answers; VQAv2 train + val, 20 epochs (x0.1 at 12, 16),
# grad clip 4; 8 GPUs x 32 questions, 2-step accumulation. Test on test2015 -> EvalAI json.
_base_ = [
    '../_base_/datasets/vqav2_grid-vl.py', '../_base_/schedules/grid_vl_adamw-sgd_40e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/soho_r18-3l_8xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    type='GridVLVQA',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, ), frozen_stages=1),
        in_channels=512,
        text_model='bert-base-uncased',
        num_hidden_layers=3,
        visual_embed='sine',
        max_text_len=16),
    head=dict(type='VQAClassificationHead', hidden_channels=4 * 768, dropout=0.5,
              answer_table='data/vqav2/answer_table.json',
              init_cfg=dict(type='Kaiming', layer='Linear')),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
train_cfg = dict(max_epochs=20)
optim_wrapper = dict(cnn=dict(clip_grad=dict(max_norm=4.0)),
                     transformer=dict(clip_grad=dict(max_norm=4.0)))
param_scheduler = [
    dict(type='LinearLR', start_factor=1 / 3, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', milestones=[12, 16], gamma=0.1, by_epoch=True),
]
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=True))
log_processor = dict(by_epoch=True)
