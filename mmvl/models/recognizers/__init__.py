# Copyright (c) mmvl contributors. All rights reserved.
from .video_recognizer import VideoRecognizer

__all__ = ['VideoRecognizer']
