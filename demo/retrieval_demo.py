# Copyright (c) mmvl contributors. All rights reserved.
"""Image-text retrieval demo: rank captions for each image and images for each caption.

Example (a toy-world retrieval model, e.g. Pixel-BERT or SOHO)::

    python demo/retrieval_demo.py data/toyworld/val <retrieval config> --weights <checkpoint> \
        --texts 'a red circle left of a blue square' 'three stars' --topk 3 --out-dir outputs

``--texts-file`` reads one caption a line instead. Writes ``outputs/vis/<image>.png`` (the
image and its best captions), ``outputs/vis/text_<k>.png`` (caption k and its best images) and
the same names as json in ``outputs/preds/``.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from mmvl.apis import InputError, RetrievalInferencer


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Image-text retrieval demo')
    parser.add_argument('inputs', help='an image file or a directory of images (the gallery)')
    parser.add_argument('model', help='config file of the retrieval model')
    texts = parser.add_mutually_exclusive_group(required=True)
    texts.add_argument('--texts', nargs='+', help='the captions')
    texts.add_argument('--texts-file', help='a text file with one caption a line')
    parser.add_argument('--weights', default=None, help='checkpoint file')
    parser.add_argument('--out-dir', default='outputs', help='writes vis/ and preds/ here')
    parser.add_argument(
        '--device', default=None, help='device, e.g. cpu or cuda:0 (default: cuda if available)')
    parser.add_argument('--topk', type=int, default=5, help='results kept per query')
    parser.add_argument('--batch-size', type=int, default=8, help='images per forward')
    parser.add_argument('--show', action='store_true', help='show each picture in a window')
    parser.add_argument('--no-save-vis', action='store_true', help='do not write vis/ pictures')
    parser.add_argument('--no-save-pred', action='store_true', help='do not write preds/ json')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def read_texts(args: argparse.Namespace) -> List[str]:
    if args.texts is not None:
        return args.texts
    if not osp.isfile(args.texts_file):
        sys.exit(f'error: captions file not found: {args.texts_file}')
    with open(args.texts_file, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not osp.exists(args.inputs):
        sys.exit(f'error: input image or directory not found: {args.inputs}')
    if args.topk < 1:
        sys.exit(f'error: --topk must be >= 1, got {args.topk}')
    texts = read_texts(args)
    try:
        inferencer = RetrievalInferencer(args.model, weights=args.weights, device=args.device,
                                         cfg_options=args.cfg_options)
        result = inferencer(args.inputs, texts, topk=args.topk, batch_size=args.batch_size,
                            out_dir=args.out_dir, show=args.show,
                            no_save_vis=args.no_save_vis, no_save_pred=args.no_save_pred)
    except (FileNotFoundError, InputError) as error:
        sys.exit(f'error: {error}')
    for pred in result['text_predictions']:
        best = ', '.join(f'{name} ({score:.3f})' for name, score in pred['top_images'])
        print(f"'{pred['text']}' -> {best}")
    for pred in result['predictions']:
        text, score = pred['top_texts'][0]
        print(f"{pred['image']} -> '{text}' ({score:.3f})")
    if args.out_dir and not args.no_save_vis:
        print(f'pictures: {osp.join(args.out_dir, "vis")}')


if __name__ == '__main__':
    main()
