# Copyright (c) mmvl contributors. All rights reserved.
"""Video lists, decoding, clip sampling (incl. CMAE-V's temporal shift), crops and packing, on
toy-world action clips written into a temporary folder."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmvl.datasets import AnnotationError, RawframeDataset, VideoDataset
from mmvl.datasets.toyworld.generate import write_actions
from mmvl.datasets.transforms import (ClipColorJitter, PackVideoInputs, PyAVDecode, PyAVInit,
                                      RawFrameDecode, SampleFrames, TemporalShiftTwoClips,
                                      VideoCenterCrop, VideoRandomResizedCrop, VideoResize,
                                      VideoTenCrop, VideoThreeCrop)
from mmvl.models.data_preprocessors import VideoDataPreprocessor


@pytest.fixture(scope='module')
def actions(tmp_path_factory):
    root = tmp_path_factory.mktemp('actions')
    write_actions(str(root), seed=0, num_clips=10, val_fraction=0.2)
    return osp.join(str(root), 'video', 'actions')


def _videos(root, split='train'):
    return VideoDataset(ann_file=f'kinetics_{split}_list_videos.txt', data_root=root,
                        data_prefix=dict(video='videos/'), num_classes=8)


def _rawframes(root, split='train'):
    return RawframeDataset(ann_file=f'sthv2_{split}_list_rawframes.txt', data_root=root,
                           data_prefix=dict(img='rawframes/'), num_classes=8)


def test_lists_parse_in_both_layouts(actions):
    videos, frames = _videos(actions), _rawframes(actions)
    assert len(videos) == len(frames) == 8
    v, f = videos.get_data_info(3), frames.get_data_info(3)
    assert v['filename'] == osp.join(actions, 'videos', 'train', 'act00003.mp4')
    assert f['frame_dir'] == osp.join(actions, 'rawframes', 'train', 'act00003')
    assert v['gt_label'] == f['gt_label'] == 3 and f['total_frames'] == 16


@pytest.mark.parametrize('line, message', [
    ('train/a.mp4\n', 'expected "<video path> <label>"'),
    ('train/a.mp4 x\n', "label 'x' is not an integer"),
    ('train/a.mp4 9\n', r'label 9 outside \[0, 8\)'),
])
def test_malformed_video_list_line_is_named(tmp_path, line, message):
    ann = tmp_path / 'list.txt'
    ann.write_text('train/ok.mp4 0\n' + line)
    with pytest.raises(AnnotationError, match=f'list.txt, line 2.*{message}'):
        VideoDataset(ann_file=str(ann), num_classes=8)


def test_malformed_rawframe_line_and_missing_files_are_named(tmp_path, actions):
    ann = tmp_path / 'frames.txt'
    ann.write_text('a 16 0\nb many 1\n')
    with pytest.raises(AnnotationError, match="line 2.*frame count 'many'"):
        RawframeDataset(ann_file=str(ann))
    with pytest.raises(FileNotFoundError, match='annotation list not found'):
        VideoDataset(ann_file=str(tmp_path / 'nothing.txt'))
    missing = str(tmp_path / 'gone.mp4')
    with pytest.raises(FileNotFoundError, match=f'video not found: {missing}'):
        PyAVInit()(dict(filename=missing))
    results = dict(frame_dir=str(tmp_path), frame_inds=np.array([0]),
                   filename_tmpl='img_{:05}.jpg', offset=1)
    with pytest.raises(FileNotFoundError, match='img_00001.jpg'):
        RawFrameDecode()(results)


def test_sample_frames_train_and_test():
    sampler = SampleFrames(clip_len=4, frame_interval=2, num_clips=2)
    np.random.seed(0)
    for _ in range(20):
        inds = sampler(dict(total_frames=40))['frame_inds'].reshape(2, 4)
        assert (np.diff(inds, axis=1) == 2).all()
        assert inds[0, 0] < 16 <= inds[1, 0] < 33  # one clip per half of the video
    test = SampleFrames(clip_len=4, frame_interval=2, num_clips=3, test_mode=True)
    inds = test(dict(total_frames=40))['frame_inds'].reshape(3, 4)
    assert inds[:, 0].tolist() == [0, 16, 32]  # spread from the first to the last start
    short = SampleFrames(clip_len=4, frame_interval=2, test_mode=True)(dict(total_frames=5))
    assert short['frame_inds'].tolist() == [0, 2, 4, 1]  # looped
    with pytest.raises(ValueError, match='out_of_bound_opt'):
        SampleFrames(clip_len=4, out_of_bound_opt='wrap')


def test_temporal_shift_draws_within_the_configured_range():
    shift = TemporalShiftTwoClips(clip_len=4, frame_interval=2, shift_range=(2, 5))
    np.random.seed(0)
    seen = set()
    for _ in range(200):
        results = shift(dict(total_frames=30))
        t0, t1 = results['clip_starts']
        delta = results['temporal_shift']
        seen.add(delta)
        assert 2 <= delta <= 5 and t1 == t0 + delta
        inds = results['frame_inds'].reshape(2, 4)
        assert inds[0].tolist() == list(range(t0, t0 + 8, 2))
        assert inds[1].tolist() == list(range(t1, t1 + 8, 2))
        assert inds.max() < 30  # both clips inside the video
    assert seen == {2, 3, 4, 5}
    # the draw is replaceable; a video too short for the shift gets the largest that fits
    shift.draw = lambda total: (1, 3)
    assert shift(dict(total_frames=30))['frame_inds'].tolist() == [1, 3, 5, 7, 4, 6, 8, 10]
    np.random.seed(1)
    short = TemporalShiftTwoClips(clip_len=4, frame_interval=2, shift_range=(2, 5))
    assert short(dict(total_frames=9))['temporal_shift'] == 2  # 9 - 7 frames: 2 fits
    # below the minimum shift: one error naming the video and its frame count
    too_short = TemporalShiftTwoClips(clip_len=4, frame_interval=2, shift_range=(5, 5))
    with pytest.raises(ValueError, match=r'v\.mp4 has 9 frames.*needs 12'):
        too_short(dict(total_frames=9, filename='v.mp4'))
    wraps = TemporalShiftTwoClips(clip_len=4, frame_interval=2, shift_range=(0, 4))
    assert wraps(dict(total_frames=5))['temporal_shift'] == 0  # minimum 0: loops as before
    with pytest.raises(ValueError, match='shift_range'):
        TemporalShiftTwoClips(clip_len=4, shift_range=(3, 1))


def _load(actions, index, transforms, frames=False):
    dataset = _rawframes(actions) if frames else _videos(actions)
    results = dataset.get_data_info(index)
    for t in ([] if frames else [PyAVInit()]) + transforms:
        results = t(results)
    return results


def test_both_clips_come_from_the_same_video_with_the_configured_shift(actions):
    shift = TemporalShiftTwoClips(clip_len=4, frame_interval=1, shift_range=(3, 3))
    shift.draw = lambda total: (2, 3)
    results = _load(actions, 5, [shift, PyAVDecode()])
    every = _load(actions, 5, [SampleFrames(clip_len=16, test_mode=True), PyAVDecode()])
    assert results['imgs'].shape == (8, 64, 64, 3)
    assert np.array_equal(results['imgs'][:4], every['imgs'][2:6])  # online: frames 2..5
    assert np.array_equal(results['imgs'][4:], every['imgs'][5:9])  # target: frames 5..8
    other = _load(actions, 6, [SampleFrames(clip_len=16, test_mode=True), PyAVDecode()])
    assert not np.array_equal(results['imgs'][4:], other['imgs'][5:9])


def test_shared_crop_and_colour_augmentation_on_the_target_only(actions):
    shift = TemporalShiftTwoClips(clip_len=4, shift_range=(0, 0))
    np.random.seed(3)
    results = _load(actions, 1, [shift, PyAVDecode(), VideoRandomResizedCrop(48, (0.3, 0.6))])
    imgs = results['imgs']
    assert imgs.shape == (8, 48, 48, 3)
    assert np.array_equal(imgs[:4], imgs[4:])  # delta 0: same frames, same crop
    jitter = ClipColorJitter(clips=(1, ), jitter_prob=1., gray_prob=0., blur_prob=0.)
    augmented = jitter(dict(results, imgs=imgs.copy()))['imgs']
    assert np.array_equal(augmented[:4], imgs[:4])
    assert not np.array_equal(augmented[4:], imgs[4:])
    # one draw per clip: the colour change is the same map for every frame of the target
    gray = ClipColorJitter(clips=(1, ), jitter_prob=0., gray_prob=1., blur_prob=0.)
    grey = gray(dict(results, imgs=imgs.copy()))['imgs'][4:].astype(int)
    assert (grey.max(-1) - grey.min(-1)).max() <= 1


def test_video_and_frame_folder_hold_the_same_clip(actions):
    sampler = SampleFrames(clip_len=8, frame_interval=2, test_mode=True)
    from_video = _load(actions, 2, [sampler, PyAVDecode()])['imgs'].astype(int)
    from_frames = _load(actions, 2, [sampler, RawFrameDecode()], frames=True)['imgs']
    assert from_video.shape == from_frames.shape == (8, 64, 64, 3)
    assert np.abs(from_video - from_frames).mean() < 8  # mp4 vs JPEG compression only


def test_multi_crop_views_and_packing():
    imgs = np.random.randint(0, 255, size=(2 * 4, 40, 60, 3), dtype=np.uint8)
    base = dict(imgs=imgs, clip_len=4, num_clips=2, gt_label=5)
    resized = VideoResize(short_side=32)(dict(base))
    assert resized['imgs'].shape == (8, 32, 48, 3)
    three = VideoThreeCrop(32)(dict(resized))
    assert three['imgs'].shape == (24, 32, 32, 3) and three['num_crops'] == 3
    # left, centre and right crops of the wide frames
    assert np.array_equal(three['imgs'][:8], resized['imgs'][:, :, :32])
    assert np.array_equal(three['imgs'][16:], resized['imgs'][:, :, 16:])
    ten = VideoTenCrop(32)(dict(resized))
    assert ten['num_crops'] == 10
    assert np.array_equal(ten['imgs'][40:48], ten['imgs'][:8][:, :, ::-1])
    centre = VideoCenterCrop(32)(dict(resized))
    assert np.array_equal(centre['imgs'], three['imgs'][8:16])
    packed = PackVideoInputs(mode='views')(three)
    views = packed['inputs']
    assert views.shape == (6, 3, 4, 32, 32)  # 3 crops x 2 clips
    # view 1 = crop 0, clip 1; frame 2 of it is array frame 4 + 2
    assert torch.equal(views[1, :, 2], torch.from_numpy(three['imgs'][6]).permute(2, 0, 1))
    assert packed['data_samples'].gt_label.tolist() == [5]
    pair = PackVideoInputs(mode='clip_list')(dict(base))['inputs']
    assert len(pair) == 2 and pair[1].shape == (3, 4, 40, 60)
    with pytest.raises(ValueError, match="mode='clip'"):
        PackVideoInputs(mode='clip')(dict(base))
    with pytest.raises(ValueError, match='smaller than the crop'):
        VideoThreeCrop(64)(dict(base))


def test_data_preprocessor_normalises_each_channel():
    pre = VideoDataPreprocessor(mean=[10., 20., 30.], std=[2., 4., 5.])
    clips = torch.full((2, 3, 4, 8, 8), 50, dtype=torch.uint8)
    views = pre(dict(inputs=clips.unsqueeze(1).expand(-1, 6, -1, -1, -1, -1),
                     data_samples=None))['inputs']
    assert views.shape == (2, 6, 3, 4, 8, 8)
    assert views[0, 0, :, 0, 0, 0].tolist() == [20., 7.5, 4.]
    pair = pre(dict(inputs=[clips, clips], data_samples=None))['inputs']
    assert isinstance(pair, list) and torch.equal(pair[1], views[:, 0])
    with pytest.raises(ValueError, match='channels'):
        pre(dict(inputs=torch.zeros(2, 4, 4, 8, 8), data_samples=None))
