# SWORD (Wu et al., ICCV 2023) at paper scale: ResNet-50 + DINO-style deformable transformer
# (6 + 6 layers, 900 queries, two-stage, box refinement, contrastive denoising) with SWORD's
# stop-gradient classifier, box/mask-IoU heads, one-to-many regression assignment, dynamic
# mask head and object-queue contrast. The paper gives none of these sizes; they follow
# UNINEXT, the same group's code (see configs/sword/README.md for every choice).
embed_dims = 256
num_queries = 900
model = dict(
    type='SWORD',
    class_agnostic=True,
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
        num_outs=4),
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
    positional_encoding=dict(num_feats=embed_dims // 2, normalize=True, offset=0.0,
                             temperature=20),
    bbox_head=dict(
        type='SWORDHead',
        num_classes=1,  # one class "object"
        embed_dims=embed_dims,
        sync_cls_avg_factor=True,
        stop_grad_cls=True,
        cls_assignment='one2one',
        mask_loss_layers='all',
        mask_head=dict(
            type='DynamicMaskHead', num_fused_levels=3, channels=8, num_layers=3,
            feat_stride=8, out_stride=4, rel_coord_scale=1.0,
            fusion_style='lateral'),  # mmvl's first reading of UNINEXT's; see the README
        loss_cls=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=5.0),
        loss_iou=dict(type='mmdet.GIoULoss', loss_weight=2.0),
        loss_mask=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_dice=dict(
            type='mmdet.DiceLoss', use_sigmoid=True, activate=True, naive_dice=True, eps=1.0,
            loss_weight=5.0),
        loss_box_iou=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_mask_iou=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        contrast=dict(
            queue_length=1024,
            embed_dims=128,
            pos_iou_thr=0.7,
            neg_iou_thr=0.3,
            neg_score_thr=0.3,
            max_negatives=64,
            loss=dict(type='ObjectCenterContrastLoss', temperature=0.1, loss_weight=1.0))),
    dn_cfg=dict(
        label_noise_scale=0.5,
        box_noise_scale=1.0,
        group_cfg=dict(dynamic=True, num_groups=None, num_dn_queries=100)),
    train_cfg=dict(
        # one-to-one: the classifier, the encoder proposals
        assigner=dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.FocalLossCost', weight=2.0),
                dict(type='mmdet.BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='mmdet.IoUCost', iou_mode='giou', weight=2.0)
            ]),
        # one-to-many: box, mask and IoU branches (UNINEXT's SimOTA-style dynamic k)
        # (the rule SWORD's toy-world numbers were measured with: see configs/sword/README.md)
        reg_assigner=dict(type='DynamicKAssigner', center_radius=2.5 / 32, topk_iou=10,
                          conflict_rule='claimants')),
    test_cfg=dict(
        max_per_img=100,
        score_form='geometric',  # (class x box IoU x mask IoU) ** (1/3)
        iou_terms=('box', 'mask'),
        nms=dict(type='nms', iou_threshold=0.7),
        mask_thr=0.5))

# `--amp` on the CPU: bf16 autocast for the backbone and neck only (mmcv's nms, used at test
# time, has no bf16 CPU kernel; the deformable attention's CPU path is not checked in bf16).
cpu_amp_modules = ['backbone', 'neck']
