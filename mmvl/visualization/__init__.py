# Copyright (c) mmvl contributors. All rights reserved.
from .class_agnostic_visualizer import ClassAgnosticDetLocalVisualizer
from .prompt_visualizer import PromptDetLocalVisualizer, prompt_entities

__all__ = ['ClassAgnosticDetLocalVisualizer', 'PromptDetLocalVisualizer', 'prompt_entities']
