# Pixel-BERT VQA fine-tuning (Sec. 4.2): every pixel, [CLS] -> MLP -> BCE over 3,129 answers;
# the pre-training optimisers; batch 256 on 16 GPUs; 18 epochs, x0.1 at 12 and 16.
_base_ = [
    '../_base_/datasets/vqav2_grid-vl.py', '../_base_/schedules/grid_vl_adamw-sgd_40e.py',
    '../_base_/default_runtime.py'
]
pretrained = 'work_dirs/pixel-bert_r50_64xb64-40e_coco-vg-caption/epoch_40.pth'
model = dict(
    type='GridVLVQA',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=50, out_indices=(3, )),
        in_channels=2048,
        text_model='bert-base-uncased',
        visual_embed='type',
        max_text_len=40),
    head=dict(type='VQAClassificationHead', hidden_channels=2 * 768,
              answer_table='data/vqav2/answer_table.json'),
    init_cfg=dict(type='Pretrained', checkpoint=pretrained))
train_dataloader = dict(batch_size=16)
train_cfg = dict(max_epochs=18)
optim_wrapper = dict(
    cnn=dict(optimizer=dict(weight_decay=5e-4), accumulative_counts=1),
    transformer=dict(accumulative_counts=1))
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
