# Copyright (c) mmvl contributors. All rights reserved.
"""Tiny vision-language model parts for tests: a one-layer grid encoder over the real MiniLM."""


def tiny_grid_encoder() -> dict:
    """A SOHO / Pixel-BERT style ``GridVLEncoder``: ResNet-18 C5, one MiniLM layer."""
    return dict(type='GridVLEncoder',
                backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
                in_channels=512, text_model='all-MiniLM-L6-v2', num_hidden_layers=1)
