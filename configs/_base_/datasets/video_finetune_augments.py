# VideoMAE's fine-tuning augments (Tong et al., NeurIPS 2022, and the released
# run_class_finetuning.py defaults), for action-recognition configs to place in their
# pipelines (`{{_base_.video_rand_augment}}`) and model (`train_cfg={{_base_.video_mix}}`).
#
# `--aa rand-m7-n4-mstd0.5-inc1` (bicubic, fill 128): four ops of increasing strength,
# magnitude 7 of 10 with std 0.5, on the decoded frames before the crop, the same ops for every
# frame of the clip.
video_rand_augment = dict(
    type='ClipConsistentTransform',
    transform=dict(
        type='mmpretrain.RandAugment',
        _scope_='mmpretrain',
        policies='timm_increasing',
        num_policies=4,
        total_level=10,
        magnitude_level=7,
        magnitude_std=0.5,
        hparams=dict(pad_val=128, interpolation='bicubic')))
# `--reprob 0.25 --remode pixel --recount 1`: after the crop, one box per clip (`cube=True`),
# area 2-33 %, aspect 0.3-3.3, filled with per-pixel noise of the normalisation's mean / std
# (VideoMAE erases after normalising, with N(0, 1) noise). Frames reach the image transform as
# BGR, hence the channel order.
video_random_erasing = dict(
    type='ClipConsistentTransform',
    transform=dict(
        type='mmpretrain.RandomErasing',
        _scope_='mmpretrain',
        erase_prob=0.25,
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        aspect_range=(0.3, 1 / 0.3),
        mode='rand',
        fill_color=(103.53, 116.28, 123.675),
        fill_std=(57.375, 57.12, 58.395)))
# `--mixup 0.8 --cutmix 1.0 --mixup_prob 1.0 --mixup_switch_prob 0.5`: every batch mixed, by
# Mixup or CutMix with equal chance; `--smoothing 0.1` goes into the head's loss.
video_mix = dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)])
