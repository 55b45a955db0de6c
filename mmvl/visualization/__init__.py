# Copyright (c) mmvl contributors. All rights reserved.
from .class_agnostic_visualizer import ClassAgnosticDetLocalVisualizer

__all__ = ['ClassAgnosticDetLocalVisualizer']
