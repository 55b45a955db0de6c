# Copyright (c) mmvl contributors. All rights reserved.
from .image_corruption import ImageCorruption, corrupt
from .pixel_shift import PixelShiftTwoView
from .prompts import (CategoryPrompt, GroundingSafeRandomCrop, SampleExpression,
                      SwapLeftRightOnFlip, has_ordinal)
from .region_attributes import LoadAttributeLabels, PackRegionDetInputs
from .video import (ClipColorJitter, ClipConsistentTransform, PackVideoInputs, PyAVDecode,
                    PyAVInit, RawFrameDecode, SampleFrames, SegmentSampleFrames,
                    TemporalShiftTwoClips, VideoCenterCrop, VideoFlip,
                    VideoRandomResizedCrop, VideoResize, VideoTenCrop, VideoThreeCrop)

__all__ = [
    'CategoryPrompt', 'GroundingSafeRandomCrop', 'PixelShiftTwoView', 'SampleExpression',
    'SwapLeftRightOnFlip', 'has_ordinal', 'LoadAttributeLabels', 'PackRegionDetInputs',
    'ImageCorruption', 'corrupt', 'ClipColorJitter', 'ClipConsistentTransform',
    'PackVideoInputs', 'PyAVDecode', 'PyAVInit', 'RawFrameDecode', 'SampleFrames',
    'SegmentSampleFrames', 'TemporalShiftTwoClips', 'VideoCenterCrop', 'VideoFlip',
    'VideoRandomResizedCrop', 'VideoResize', 'VideoTenCrop', 'VideoThreeCrop'
]
