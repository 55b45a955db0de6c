# SOHO pre-training, the released recipe (github.com/researchmm/soho
# configs/Pretrain/soho_res18_pre.py): ImageNet ResNet-18 (stage 1 frozen), extra 2x2 max-pool,
# 1x1 conv + BN to 768, visual dictionary of 2,048 entries (EMA decay 0.4) with gated fusion,
# 3-layer BERT-base, 16 text tokens, MLM + MVM (p = 0.015) + ITM. 8 GPUs x 16 images x 4
# captions (64 pairs; the CNN runs once per image), 2-step accumulation: 1,024 pairs per update.
# Data as released (coco_cap_{train,val}_pre.json + vg_cap_pre.json): all of COCO train2014 +
# val2014 and VG, without removing the Karpathy val / test images (unlike Pixel-BERT's
# configs); kept faithful to the authors, so COCO retrieval after it sees its test images.
_base_ = [
    '../_base_/datasets/coco-vg_caption_grid-vl.py',
    '../_base_/schedules/grid_vl_adamw-sgd_40e.py', '../_base_/default_runtime.py'
]
model = dict(
    type='SOHOPretrainer',
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, ), frozen_stages=1,
                      init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
        in_channels=512,
        text_model='bert-base-uncased',
        num_hidden_layers=3,
        visual_embed='sine',
        max_text_len=16),
    itm_head=dict(type='ITMHead', init_cfg=dict(type='Kaiming', layer='Linear')),
    num_tokens=2048,
    decay=0.4,
    gate=True,
    mvm_masker=dict(type='MVMMasker', mask_prob=0.015),
    mlm_masker=dict(type='WholeWordMasker', mask_prob=0.15))
coco = dict(type='COCOCaptionPretrain', data_root='data/coco/', data_prefix='', group_size=4,
            pipeline={{_base_.train_pipeline}})
train_dataloader = dict(
    batch_size=16,
    dataset=dict(datasets=[
        dict(**coco, ann_file='annotations/captions_train2014.json'),
        dict(**coco, ann_file='annotations/captions_val2014.json'),
        dict(type='VGRegionCaptionPretrain', data_root='data/vg/', data_prefix='images',
             ann_file='region_descriptions.json', group_size=4,
             pipeline={{_base_.train_pipeline}}),
    ]))
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=True))
log_processor = dict(by_epoch=True)
