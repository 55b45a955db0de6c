# Copyright (c) mmvl contributors. All rights reserved.
"""VideoMAE's fine-tuning transforms: segment-based frame sampling (Something-Something V2) and
clip-consistent image augments (RandAugment, random erasing) on every frame of a clip."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmvl.datasets.transforms import ClipConsistentTransform, SegmentSampleFrames

RAND_AUGMENT = dict(type='mmpretrain.RandAugment', _scope_='mmpretrain',
                    policies='timm_increasing', num_policies=4, total_level=10,
                    magnitude_level=7, magnitude_std=0.5,
                    hparams=dict(pad_val=128, interpolation='bicubic'))


def _segments(total, clip_len):
    """Segment i: frames from floor(i * total / clip_len) up to the next segment's first."""
    edges = [int(np.floor(i * total / clip_len)) for i in range(clip_len + 1)]
    return [list(range(edges[i], edges[i + 1])) for i in range(clip_len)]


@pytest.mark.parametrize('total', [16, 17, 30, 47, 100])
def test_training_draws_one_frame_inside_each_segment(total):
    sampler = SegmentSampleFrames(clip_len=16)
    segments = _segments(total, 16)
    assert all(segments)  # every segment holds a frame when total >= clip_len
    draws = []
    for seed in range(30):
        np.random.seed(seed)
        results = sampler(dict(total_frames=total))
        inds = results['frame_inds']
        assert len(inds) == 16 and results['num_clips'] == 1 and results['clip_len'] == 16
        assert all(int(i) in seg for i, seg in zip(inds, segments))
        draws.append(tuple(inds.tolist()))
    if total > 16:
        assert len(set(draws)) > 1  # random in training
        # every frame of a multi-frame segment is reachable
        longest = max(segments, key=len)
        seen = {d[segments.index(longest)] for d in draws}
        assert seen == set(longest)


def test_test_views_are_deterministic_segment_offsets_as_videomae():
    total, clip_len = 47, 16
    one = SegmentSampleFrames(clip_len, test_mode=True)
    two = SegmentSampleFrames(clip_len, num_clips=2, test_mode=True)
    np.random.seed(0)
    first = two(dict(total_frames=total))['frame_inds']
    np.random.seed(1)
    assert np.array_equal(first, two(dict(total_frames=total))['frame_inds'])
    assert len(first) == 2 * clip_len and two(dict(total_frames=total))['num_clips'] == 2
    starts, middles = first[:clip_len], first[clip_len:]
    segments = _segments(total, clip_len)
    # VideoMAE's ssv2.py test sampling: tick = total / clip_len, view 0 int(tick * x),
    # view 1 int(tick / 2 + tick * x)
    tick = total / clip_len
    assert starts.tolist() == [int(tick * x) for x in range(clip_len)]
    assert all(abs(m - int(tick / 2 + tick * x)) <= 1 for x, m in enumerate(middles))
    assert all(int(m) in seg for m, seg in zip(middles, segments))
    assert all(m == seg[len(seg) // 2] for m, seg in zip(middles, segments))
    # one view: the segment middles
    assert np.array_equal(one(dict(total_frames=total))['frame_inds'], middles)
    three = SegmentSampleFrames(clip_len, num_clips=3, test_mode=True)
    assert np.allclose(three.test_fractions(), [1 / 6, 1 / 2, 5 / 6])


@pytest.mark.parametrize('total', [1, 5, 15])
def test_videos_shorter_than_the_clip_repeat_frames_in_order(total):
    clip_len = 16
    for sampler in (SegmentSampleFrames(clip_len),
                    SegmentSampleFrames(clip_len, num_clips=2, test_mode=True)):
        for seed in range(5):
            np.random.seed(seed)
            inds = sampler(dict(total_frames=total))['frame_inds'].reshape(-1, clip_len)
            for view in inds:
                assert view.min() >= 0 and view.max() < total
                assert np.all(np.diff(view) >= 0)
                # segment i is the stretch [i * total / L, (i + 1) * total / L) of time
                lo = np.floor(np.arange(clip_len) * total / clip_len)
                hi = np.ceil(np.arange(1, clip_len + 1) * total / clip_len) - 1
                assert np.all((view >= lo) & (view <= hi))
            if sampler.test_mode:  # points 1 / L of a segment apart hit every frame
                assert all(len(set(view.tolist())) == total for view in inds)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='test_mode=True'):
        SegmentSampleFrames(8, num_clips=2)
    with pytest.raises(ValueError, match='positive'):
        SegmentSampleFrames(0)
    with pytest.raises(ValueError, match='v.mp4 has no frames'):
        SegmentSampleFrames(8)(dict(total_frames=0, filename='v.mp4'))


def _clip(num_frames=4, same=True, seed=0):
    rng = np.random.default_rng(seed)
    if same:
        return np.repeat(rng.integers(0, 256, (1, 40, 48, 3), dtype=np.uint8), num_frames, 0)
    return rng.integers(0, 256, (num_frames, 40, 48, 3), dtype=np.uint8)


def test_rand_augment_applies_the_same_ops_to_every_frame():
    init_default_scope('mmvl')
    aug = ClipConsistentTransform(RAND_AUGMENT)
    randaug = aug.frame_transform
    record = []
    randaug_policies = randaug.random_policy_indices

    def policies():
        chosen = randaug_policies()
        record.append(('ops', tuple(chosen)))
        return chosen
    randaug.random_policy_indices = policies
    for op in randaug.transforms:
        def magnitude(op=op, draw=op.random_magnitude):
            value = draw()
            record.append((type(op).__name__, value))
            return value
        op.random_magnitude = magnitude
    frames_differ = 0
    for seed in range(8):
        np.random.seed(seed)
        record.clear()
        imgs = _clip(4, same=False, seed=seed)
        out = aug(dict(imgs=imgs, clip_len=4, num_clips=1))['imgs']
        per_frame = np.array_split(np.array(record, dtype=object), 4)
        assert record[0][0] == 'ops' and len(record) % 4 == 0
        assert all(np.array_equal(per_frame[0], p) for p in per_frame[1:])
        assert out.shape == imgs.shape and out.dtype == np.uint8
        # identical frames stay identical (the naive per-frame RandAugment breaks this)
        same = _clip(4, same=True, seed=seed)
        np.random.seed(seed)
        out = aug(dict(imgs=same, clip_len=4, num_clips=1))['imgs']
        assert all(np.array_equal(out[0], f) for f in out[1:])
        np.random.seed(seed)
        naive = [randaug(dict(img=f.copy()))['img'] for f in same]
        frames_differ += not all(np.array_equal(naive[0], f) for f in naive[1:])
    assert frames_differ > 0


def test_frame_zero_gets_mmpretrains_rand_augment_and_clips_draw_independently():
    init_default_scope('mmvl')
    aug = ClipConsistentTransform(RAND_AUGMENT)
    imgs = _clip(3, same=False, seed=3)
    np.random.seed(5)
    out = aug(dict(imgs=imgs, clip_len=3, num_clips=1))['imgs']
    np.random.seed(5)
    ref = aug.frame_transform(dict(img=np.ascontiguousarray(imgs[0][..., ::-1])))['img']
    assert np.array_equal(out[0], ref[..., ::-1])  # RGB in, BGR to mmcv, RGB out
    two = np.concatenate([_clip(3, seed=1), _clip(3, seed=1)])
    differ = 0
    for seed in range(6):
        np.random.seed(seed)
        out = aug(dict(imgs=two, clip_len=3, num_clips=2))['imgs']
        differ += not np.array_equal(out[0], out[3])
    assert differ > 0
    with pytest.raises(ValueError, match='2 clips of 3 frames, got 4'):
        aug(dict(imgs=_clip(4), clip_len=3, num_clips=2))


def test_random_erasing_cuts_the_same_box_in_every_frame():
    init_default_scope('mmvl')
    erase = ClipConsistentTransform(
        dict(type='mmpretrain.RandomErasing', erase_prob=1.0, mode='rand',
             fill_color=(124, 116, 104), fill_std=(58, 57, 57), min_area_ratio=0.1,
             max_area_ratio=0.3))
    imgs = _clip(5, same=False, seed=2)
    for seed in range(5):
        np.random.seed(seed)
        out = erase(dict(imgs=imgs, clip_len=5, num_clips=1))['imgs']
        changed = (out != imgs).any(-1)
        assert changed[0].any()
        rows, cols = np.nonzero(changed[0])
        box = np.zeros_like(changed[0])
        box[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = True
        for t in range(5):
            # the same rectangle in each frame (a filled pixel may equal the original)
            assert not (changed[t] & ~box).any() and changed[t].sum() > 0.9 * box.sum()


def test_toy_recipe_pipelines_run_on_ssv2_rawframes(tmp_path):
    """The toy config with VideoMAE's recipe: segment sampling, RandAugment, crop, erasing."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.dataset import Compose

    from mmvl.datasets import RawframeDataset
    from mmvl.datasets.toyworld.generate import write_actions
    from mmvl.testing import get_config_path
    init_default_scope('mmvl')
    write_actions(str(tmp_path), seed=0, num_clips=4, val_fraction=0.25)
    cfg = Config.fromfile(get_config_path(
        'cmae_v/benchmarks/vit-toy-p8_videomae-recipe-1xb16-300it_toyworld-actions.py'))
    root = osp.join(str(tmp_path), 'video', 'actions')
    data = RawframeDataset(ann_file='sthv2_train_list_rawframes.txt', data_root=root,
                           data_prefix=dict(img='rawframes/'), num_classes=8)
    info = data.get_data_info(0)
    np.random.seed(0)
    train = Compose(cfg.train_dataloader.dataset.pipeline)(dict(info))
    assert tuple(train['inputs'].shape) == (1, 3, 8, 64, 64)
    inds = train['data_samples'].frame_inds
    assert all(int(i) in seg for i, seg in zip(inds, _segments(info['total_frames'], 8)))
    test = Compose(cfg.test_dataloader.dataset.pipeline)(dict(info))
    assert tuple(test['inputs'].shape) == (6, 3, 8, 64, 64)  # 2 clips x 3 crops
