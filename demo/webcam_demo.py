# Copyright (c) mmvl contributors. All rights reserved.
"""Draw detections on a live camera stream; press Esc or q to quit.

Example::

    python demo/webcam_demo.py configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py \
        --weights work_dirs/demo/iter_600.pth --camera-id 0
"""
import argparse
import sys
from typing import List, Optional

import cv2
import mmcv

from mmvl.apis import DetSegInferencer


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Webcam detection / instance segmentation demo')
    parser.add_argument('model', help='config file of the detector')
    parser.add_argument('--weights', default=None, help='checkpoint file')
    parser.add_argument('--device', default=None, help='device (default: cuda if available)')
    parser.add_argument('--camera-id', type=int, default=0, help='camera device index')
    parser.add_argument(
        '--score-thr', type=float, default=0.5, help='draw predictions above this score')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    # Open the camera first: without one, fail before spending seconds on the model.
    camera = cv2.VideoCapture(args.camera_id)
    if not camera.isOpened():
        sys.exit(f'error: cannot open camera {args.camera_id} (no such device, no permission, '
                 'or in use); choose another with --camera-id')
    try:
        inferencer = DetSegInferencer(
            args.model, weights=args.weights, device=args.device, show_progress=False)
        print('Press Esc or q in the window to quit.')
        while True:
            ok, frame = camera.read()
            if not ok:
                sys.exit(f'error: camera {args.camera_id} stopped delivering frames')
            result = inferencer(frame, pred_score_thr=args.score_thr, return_vis=True)
            cv2.imshow('webcam_demo', mmcv.rgb2bgr(result['visualization'][0]))
            if cv2.waitKey(1) & 0xFF in (27, ord('q')):
                break
    finally:
        camera.release()
        cv2.destroyAllWindows()


if __name__ == '__main__':
    main()
