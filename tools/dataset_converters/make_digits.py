# Copyright (c) mmvl contributors. All rights reserved.
"""Write scikit-learn's handwritten digits as an ImageNet-style folder data set.

``sklearn.datasets.load_digits`` ships 1,797 real scans of handwritten digits (UCI "Optical
Recognition of Handwritten Digits", 8x8 pixels, 17 grey levels, 10 classes) inside the
scikit-learn wheel, so it is a real image data set that needs no download. This tool writes it in
the layout of the toy world's ``data/toyworld/imagenet/`` folders, so configs switch to it by
changing ``data_root``::

    <out>/train/<digit>/<index>.png   <out>/val/<digit>/<index>.png
    <out>/meta/train.txt              <out>/meta/val.txt   ("<digit>/<index>.png <label>")

The split is stratified (the same share of every digit in val) and fixed by ``--seed``;
``<index>`` is the sample's index in ``load_digits``. Images are upsampled to ``--size`` pixels
with bicubic interpolation (PIL) and stored as RGB (three equal channels); grey level 16 (ink)
becomes 255, 0 (paper) stays 0. Bicubic rather than nearest: with nearest neighbour an 8x8 scan at
64 px is made of 8 px squares of one colour, which are exactly the toy ViT's 8 px patches, so every
patch would be constant and MAE's normalised-pixel target (each patch minus its mean) would be
zero; bicubic gives smooth strokes with structure inside each patch.

Example::

    python tools/dataset_converters/make_digits.py --out data/digits --size 64 --seed 0

Re-running with the same arguments rewrites the same bytes; a previous output in ``--out`` is
replaced (other files in it are left alone).
"""
import argparse
import os
import os.path as osp
import shutil

import numpy as np
from PIL import Image

SPLITS = ('train', 'val')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and check the command line; exits with status 2 naming a bad argument."""
    parser = argparse.ArgumentParser(description='Write sklearn digits as ImageNet-style folders.')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--size', type=int, default=64, help='image side in pixels (>= 8)')
    parser.add_argument('--val-fraction', type=float, default=0.2,
                        help='share of every digit put in val (0 < f < 1)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the split (>= 0)')
    args = parser.parse_args(argv)
    if args.size < 8:
        parser.error(f'argument --size: must be >= 8, the scans are 8x8 (got {args.size})')
    if not 0.0 < args.val_fraction < 1.0:
        parser.error(f'argument --val-fraction: must be in (0, 1) (got {args.val_fraction})')
    if args.seed < 0:
        parser.error(f'argument --seed: must be >= 0 (got {args.seed})')
    if osp.exists(args.out) and not osp.isdir(args.out):
        parser.error(f'argument --out: {args.out!r} exists and is not a directory')
    return args


def split_indices(labels: np.ndarray, val_fraction: float, seed: int) -> dict:
    """Stratified split of sample indices into ``{'train': [...], 'val': [...]}`` (sorted)."""
    from sklearn.model_selection import train_test_split
    train, val = train_test_split(
        np.arange(len(labels)), test_size=val_fraction, random_state=seed, stratify=labels)
    return dict(train=sorted(train.tolist()), val=sorted(val.tolist()))


def to_image(scan: np.ndarray, size: int) -> Image.Image:
    """One 8x8 scan (grey levels 0..16) as a ``size`` px RGB image, bicubic-upsampled."""
    grey = Image.fromarray(np.round(scan * 255.0 / 16.0).astype(np.uint8), mode='L')
    return grey.resize((size, size), Image.BICUBIC).convert('RGB')


def write_digits(out: str, size: int = 64, val_fraction: float = 0.2, seed: int = 0) -> dict:
    """Write the data set to ``out``; returns the number of images per split."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    labels = digits.target
    os.makedirs(osp.join(out, 'meta'), exist_ok=True)
    counts = {}
    for split, indices in split_indices(labels, val_fraction, seed).items():
        shutil.rmtree(osp.join(out, split), ignore_errors=True)  # replace a previous output
        lines = []
        for index in indices:
            label = int(labels[index])
            name = f'{label}/{index:04d}.png'
            path = osp.join(out, split, name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            to_image(digits.images[index], size).save(path)
            lines.append(f'{name} {label}\n')
        with open(osp.join(out, 'meta', f'{split}.txt'), 'w') as f:
            f.writelines(lines)
        counts[split] = len(lines)
    return counts


def main(argv=None) -> int:
    """Write the data set and print what was written."""
    args = parse_args(argv)
    counts = write_digits(args.out, args.size, args.val_fraction, args.seed)
    print(f'wrote {counts["train"]} train and {counts["val"]} val digit images '
          f'({args.size} px) to {args.out}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
