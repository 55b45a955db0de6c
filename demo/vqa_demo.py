# Copyright (c) mmvl contributors. All rights reserved.
"""Answer a question about images and draw the top answers with their scores.

Example (a toy-world VQA model, e.g. SOHO or Pixel-BERT)::

    python demo/vqa_demo.py data/toyworld/val/000000.png 'how many circles are there?' \
        <vqa config> --weights <checkpoint> --out-dir outputs --topk 5

writes ``outputs/vis/000000.png`` (the image, the question and the top answers as bars) and
``outputs/preds/000000.json`` (``question``, ``pred_answer``, ``pred_score``, ``top_answers``).
``inputs`` may be a directory of images (the same question for each).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from mmvl.apis import InputError, VQAInferencer


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Visual question answering demo')
    parser.add_argument('inputs', help='an image file or a directory of images')
    parser.add_argument('question', help='the question asked about every image')
    parser.add_argument('model', help='config file of the VQA model')
    parser.add_argument('--weights', default=None, help='checkpoint file')
    parser.add_argument(
        '--out-dir', default='outputs', help='writes vis/<name>.png and preds/<name>.json here')
    parser.add_argument(
        '--device', default=None, help='device, e.g. cpu or cuda:0 (default: cuda if available)')
    parser.add_argument('--topk', type=int, default=5, help='answers listed and drawn')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward')
    parser.add_argument('--show', action='store_true', help='show each picture in a window')
    parser.add_argument('--no-save-vis', action='store_true', help='do not write vis/ pictures')
    parser.add_argument('--no-save-pred', action='store_true', help='do not write preds/ json')
    parser.add_argument('--print-result', action='store_true', help='print the predictions')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config keys')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out_dir = '' if args.no_save_vis and args.no_save_pred else args.out_dir
    if not osp.exists(args.inputs):  # fail before spending seconds on the model
        sys.exit(f'error: input image or directory not found: {args.inputs}')
    if args.topk < 1:
        sys.exit(f'error: --topk must be >= 1, got {args.topk}')
    try:
        inferencer = VQAInferencer(args.model, weights=args.weights, device=args.device,
                                   cfg_options=args.cfg_options)
        result = inferencer(args.inputs, args.question, batch_size=args.batch_size,
                            out_dir=out_dir, topk=args.topk, show=args.show,
                            no_save_vis=args.no_save_vis, no_save_pred=args.no_save_pred,
                            print_result=args.print_result)
    except (FileNotFoundError, InputError) as error:
        sys.exit(f'error: {error}')
    for pred in result['predictions']:
        print(f"{pred['question']} -> {pred['pred_answer']} ({pred['pred_score']:.3f})")
    if out_dir and not args.no_save_vis:
        print(f'pictures: {osp.join(out_dir, "vis")}')


if __name__ == '__main__':
    main()
