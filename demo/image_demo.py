# Copyright (c) mmvl contributors. All rights reserved.
"""Detect and segment objects in images and draw the predictions. Flags follow mmdet's demo.

Example::

    python demo/image_demo.py data/toyworld/val/000000.png \
        configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py \
        --weights work_dirs/demo/iter_600.pth --out-dir outputs --pred-score-thr 0.5

writes ``outputs/vis/000000.png`` (predictions drawn) and ``outputs/preds/000000.json``
(labels, scores, boxes, class names, RLE masks). ``inputs`` may be a directory of images.
Prompt-based models (UNINEXT) take ``--texts``, as mmdet's grounding demo does::

    python demo/image_demo.py data/toyworld/val/000000.png configs/uninext/<toy config> \
        --weights <ckpt> --texts 'circle . star .'          # detect these categories
    python demo/image_demo.py ... --texts 'the red circle left of the star'  # one object
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from mmvl.apis import DetSegInferencer, InputError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Image detection / instance segmentation demo')
    parser.add_argument('inputs', help='an image file or a directory of images')
    parser.add_argument('model', help='config file of the detector')
    parser.add_argument('--weights', default=None, help='checkpoint file')
    parser.add_argument(
        '--out-dir', default='outputs', help='writes vis/<name>.png and preds/<name>.json here')
    parser.add_argument(
        '--device', default=None, help='device, e.g. cpu or cuda:0 (default: cuda if available)')
    parser.add_argument(
        '--pred-score-thr', type=float, default=0.3, help='draw predictions above this score')
    parser.add_argument(
        '--texts',
        default=None,
        help="prompt of a prompt-based model: category names 'cat . dog .' or one referring "
        'expression (default: the config\'s test prompt)')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward')
    parser.add_argument('--show', action='store_true', help='show each image in a window')
    parser.add_argument('--no-save-vis', action='store_true', help='do not write vis/ pictures')
    parser.add_argument('--no-save-pred', action='store_true', help='do not write preds/ json')
    parser.add_argument('--print-result', action='store_true', help='print the predictions')
    parser.add_argument(
        '--palette',
        default='none',
        choices=['coco', 'voc', 'citys', 'random', 'none'],
        help="box and mask colours; 'none': the checkpoint's, else the config's palette")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. model.test_cfg.rcnn.max_per_img=10')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out_dir = '' if args.no_save_vis and args.no_save_pred else args.out_dir
    if not osp.exists(args.inputs):  # fail before spending seconds on the model
        sys.exit(f'error: input image or directory not found: {args.inputs}')
    try:
        inferencer = DetSegInferencer(
            args.model,
            weights=args.weights,
            device=args.device,
            cfg_options=args.cfg_options,
            palette=args.palette)
        result = inferencer(
            args.inputs,
            batch_size=args.batch_size,
            texts=args.texts,
            out_dir=out_dir,
            pred_score_thr=args.pred_score_thr,
            show=args.show,
            no_save_vis=args.no_save_vis,
            no_save_pred=args.no_save_pred,
            print_result=args.print_result)
    except (FileNotFoundError, InputError) as error:
        sys.exit(f'error: {error}')
    num = len(result['predictions'])
    if out_dir and not args.no_save_vis:
        print(f'{num} picture(s) with predictions drawn: {osp.join(out_dir, "vis")}')
    if out_dir and not args.no_save_pred:
        print(f'{num} prediction file(s): {osp.join(out_dir, "preds")}')


if __name__ == '__main__':
    main()
