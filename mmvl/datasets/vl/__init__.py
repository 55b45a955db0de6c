# Copyright (c) mmvl contributors. All rights reserved.
from .vqa import VQAv2Dataset, answer_score, build_answer_table, load_answer_table

__all__ = ['VQAv2Dataset', 'answer_score', 'build_answer_table', 'load_answer_table']
