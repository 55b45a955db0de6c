# Copyright (c) mmvl contributors. All rights reserved.
"""Draw detections on every frame of a video file or a folder of frames.

Example::

    python demo/video_demo.py clip.mp4 configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py \
        --weights work_dirs/demo/iter_600.pth --out outputs/clip.mp4 --out-frames outputs/frames
"""
import argparse
import os
import os.path as osp
import sys
from typing import Iterator, List, Optional, Tuple

import cv2
import mmcv
import numpy as np

from mmvl.apis import DetSegInferencer, InputError
from mmvl.apis.base_inferencer import IMG_EXTENSIONS


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Video detection / instance segmentation demo')
    parser.add_argument('video', help='a video file (anything cv2 reads) or a folder of frames')
    parser.add_argument('model', help='config file of the detector')
    parser.add_argument('--weights', default=None, help='checkpoint file')
    parser.add_argument('--device', default=None, help='device (default: cuda if available)')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='draw predictions above this score')
    parser.add_argument('--out', help='output video file (.mp4)')
    parser.add_argument('--out-frames', help='also write each drawn frame as <index>.png here')
    parser.add_argument(
        '--fps', type=float, default=10, help='frame rate of --out for a folder of frames')
    parser.add_argument('--show', action='store_true', help='show the frames in a window')
    parser.add_argument('--wait-time', type=float, default=1, help='seconds per shown frame')
    args = parser.parse_args(argv)
    if not (args.out or args.out_frames or args.show):
        parser.error('nothing to do: give --out, --out-frames or --show')
    return args


def open_frames(source: str, default_fps: float) -> Tuple[Iterator[np.ndarray], float]:
    """BGR frames of a video file or of the images of a folder (sorted), and the frame rate."""
    if osp.isdir(source):
        files = sorted(f for f in os.listdir(source) if f.lower().endswith(IMG_EXTENSIONS))
        if not files:
            raise FileNotFoundError(f'no image files in frame folder: {source}')

        def read_files() -> Iterator[np.ndarray]:
            for name in files:
                frame = mmcv.imread(osp.join(source, name))
                if frame is None:
                    raise InputError(f'cannot read frame: {osp.join(source, name)}')
                yield frame

        return read_files(), default_fps
    if not osp.isfile(source):
        raise FileNotFoundError(f'video file not found: {source}')
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise InputError(f'cv2 cannot open video: {source}')

    def read_video() -> Iterator[np.ndarray]:
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()

    return read_video(), capture.get(cv2.CAP_PROP_FPS) or default_fps


def draw(inferencer: DetSegInferencer, frame: np.ndarray, score_thr: float) -> np.ndarray:
    """Predictions on a BGR frame, drawn; returns BGR."""
    result = inferencer(frame, pred_score_thr=score_thr, return_vis=True)
    return mmcv.rgb2bgr(result['visualization'][0])


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        frames, fps = open_frames(args.video, args.fps)
        inferencer = DetSegInferencer(
            args.model, weights=args.weights, device=args.device, show_progress=False)
        writer = None
        count = 0
        for count, frame in enumerate(frames, 1):
            drawn = draw(inferencer, frame, args.score_thr)
            if args.out:
                if writer is None:
                    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
                    height, width = drawn.shape[:2]
                    writer = cv2.VideoWriter(
                        args.out, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
                    if not writer.isOpened():
                        raise InputError(f'cv2 cannot write video: {args.out}')
                writer.write(drawn)
            if args.out_frames:
                mmcv.imwrite(drawn, osp.join(args.out_frames, f'{count - 1:06d}.png'))
            if args.show:
                cv2.imshow('video_demo', drawn)
                if cv2.waitKey(max(1, int(args.wait_time * 1000))) & 0xFF in (27, ord('q')):
                    break
    except (FileNotFoundError, InputError) as error:
        sys.exit(f'error: {error}')
    if writer is not None:
        writer.release()
        print(f'{count} frame(s) with predictions drawn: {args.out}')
    if args.out_frames:
        print(f'{count} frame picture(s): {args.out_frames}')
    if args.show:
        cv2.destroyAllWindows()


if __name__ == '__main__':
    main()
