# UNINEXT (Yan et al., CVPR 2023) image level at paper scale: ResNet-50, BERT-base prompts
# with one early-fusion block, a DINO deformable transformer (6 + 6 layers, 900 queries,
# two-stage proposals, mixed query selection, contrastive denoising with the pooled prompt
# as content), VL-alignment retrieval, IoU branch and a CondInst mask head at stride 4.
# Every number is the official code's (projects/UNINEXT/configs/*.yaml, uninext/config.py);
# see configs/uninext/README.md.
embed_dims = 256
num_queries = 900
text_dims = 768  # bert-base-uncased
model = dict(
    type='UNINEXT',
    num_queries=num_queries,
    with_box_refine=True,
    as_two_stage=True,
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=False,  # the head pads the masks itself
        pad_size_divisor=1),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='mmdet.ChannelMapper',
        in_channels=[512, 1024, 2048],
        kernel_size=1,
        out_channels=embed_dims,
        act_cfg=None,
        norm_cfg=dict(type='GN', num_groups=32),
        bias=True,  # the authors' input projections keep their conv bias
        num_outs=4),
    language_model=dict(
        type='TextEncoder', name='bert-base-uncased', max_tokens=256, pad_to_max=True),
    # one bi-directional image-text attention block before encoder layer 0 (VLFuse)
    fusion=dict(embed_dim=2048, num_heads=8, dropout=0.1, init_values=1.0 / 6.0),
    mask_visual_padding=False,  # the authors' block attends to padded pixels too
    decoder_out_norm=False,  # their decoder has no output LayerNorm (mmdet's DINO has one)
    encoder=dict(
        num_layers=6,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=embed_dims, num_levels=4, dropout=0.0),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=2048, ffn_drop=0.0))),
    decoder=dict(
        num_layers=6,
        return_intermediate=True,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=embed_dims, num_heads=8, dropout=0.0),
            cross_attn_cfg=dict(embed_dims=embed_dims, num_levels=4, dropout=0.0),
            ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=2048, ffn_drop=0.0)),
        post_norm_cfg=None),
    # Deformable DETR's sine encoding, as the authors use it (mmdet's DINO: 20 and 0.0)
    positional_encoding=dict(num_feats=embed_dims // 2, normalize=True, offset=-0.5,
                             temperature=10000),
    bbox_head=dict(
        type='UNINEXTHead',
        num_classes=1,  # the encoder proposals' objectness (Still_Classifier)
        text_dims=text_dims,
        embed_dims=embed_dims,
        sync_cls_avg_factor=True,
        mask_loss_layers='all',
        mask_head=dict(
            type='DynamicMaskHead', num_fused_levels=3, channels=8, num_layers=3,
            feat_stride=8, out_stride=4, rel_coord_scale=1.0,
            fusion_style='uninext', share_controller=True),  # MaskHeadSmallConv, one controller
        loss_cls=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),
        loss_iou=dict(type='mmdet.GIoULoss', loss_weight=2.0),
        loss_mask=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_dice=dict(
            type='mmdet.DiceLoss', use_sigmoid=True, activate=True, naive_dice=True, eps=1.0,
            loss_weight=5.0),
        # not in the authors' weight dict, so it enters with weight 1
        loss_box_iou=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_mask_iou=None),
    dn_cfg=dict(  # DN_NUMBER 100, box noise 1.0; the content is the pooled prompt
        box_noise_scale=1.0,
        prompt_dropout=0.0,
        group_cfg=dict(dynamic=True, num_groups=None, num_dn_queries=100)),
    train_cfg=dict(
        # encoder proposals: Hungarian on binary objectness (class 2, L1 5, GIoU 2)
        assigner=dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.FocalLossCost', weight=2.0),
                dict(type='mmdet.BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='mmdet.IoUCost', iou_mode='giou', weight=2.0)
            ]),
        # decoder layers: SimOTA-style dynamic k (class 1, GIoU 3, centre radius 2.5/32)
        reg_assigner=dict(
            type='DynamicKAssigner', cls_weight=1.0, iou_weight=3.0, center_radius=2.5 / 32,
            topk_iou=10,
            conflict_rule='all',  # SimOTA's and the authors'
            k_over='candidates')),  # SimOTA's; the authors' code sums over all queries
    test_cfg=dict(
        max_per_img=100,  # detection / instance segmentation
        max_per_img_grounding=1,  # REC / RES
        score_form='geometric',  # sqrt(class x box IoU)
        iou_terms=('box', ),
        nms=dict(type='nms', iou_threshold=0.7),  # class-aware
        mask_thr=0.5))

# `--amp` on the CPU: bf16 autocast for the backbone and neck only
cpu_amp_modules = ['backbone', 'neck']
