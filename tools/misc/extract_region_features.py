# Copyright (c) mmvl contributors. All rights reserved.
"""Dump bottom-up-attention region features with a trained attribute detector.

"Learning Rich Image Region Representation for Visual Question Answering" (arXiv 1910.13077,
§2) feeds its VQA heads with region features of its own Faster R-CNN FPN detectors in place
of the bottom-up-attention ones. As bottom-up attention's extractor does, for each image of
the config's ``test_dataloader`` this tool keeps 10-100 RPN proposals whose best class
confidence after per-class NMS is >= 0.2 (:func:`mmvl.models.roi_heads.select_butd_regions`),
and writes their boxes (original-image pixels), fc7 features (the box head's shared fcs),
object and attribute predictions as ``<out>/<image_id>.npz`` (and, with ``--tsv``, as the
BUTD tsv). Read them with :class:`mmvl.datasets.region_features.RegionFeatureReader`.

Example (the toy world's train and val images)::

    python tools/misc/extract_region_features.py \\
        configs/rich_region_vqa/faster-rcnn-attr_r18_fpn_1xb4-800it_toyworld-vg.py \\
        work_dirs/rr_det_toy/iter_800.pth --out data/toyworld/region_feats \\
        --split-file vg/train.txt vg/val.txt
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

try:
    from mmvl.apis import init_model
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmvl.apis import init_model
from mmvl.datasets.region_features import append_region_tsv, write_region_npz
from mmvl.registry import DATASETS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='detector config (AttributeRoIHead)')
    parser.add_argument('checkpoint', help='detector weights')
    parser.add_argument('--out', required=True, help='folder of <image_id>.npz files')
    parser.add_argument('--tsv', help='also append the records to this BUTD tsv')
    parser.add_argument(
        '--split-file', nargs='+',
        help="dataset split file(s) (relative to its data_root) to run instead of the "
        "test_dataloader's")
    parser.add_argument('--conf-thr', type=float, default=0.2)
    parser.add_argument('--nms-thr', type=float, default=0.3)
    parser.add_argument('--min-boxes', type=int, default=10)
    parser.add_argument('--max-boxes', type=int, default=100)
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def records_of_batch(model, batch: dict, select_cfg: dict) -> list:
    """Run the detector on one collated batch and return one BUTD record per image."""
    data = model.data_preprocessor(batch, False)
    feats = model.extract_feat(data['inputs'])
    proposals = model.rpn_head.predict(feats, data['data_samples'], rescale=False)
    regions = model.roi_head.extract_regions(feats, [p.bboxes for p in proposals],
                                             **select_cfg)
    records = []
    for region, sample in zip(regions, data['data_samples']):
        scale = region['boxes'].new_tensor(sample.scale_factor).repeat(2)
        h, w = sample.ori_shape[:2]
        boxes = region['boxes'] / scale
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, h)
        attrs_conf, attrs_id = region['attr_probs'][:, 1:].max(dim=1)
        records.append(
            dict(image_id=int(sample.img_id), image_w=int(w), image_h=int(h),
                 num_boxes=len(boxes), boxes=boxes.numpy(),
                 features=region['features'].numpy(),
                 objects_id=region['objects'].numpy(),
                 objects_conf=region['objects_conf'].numpy(),
                 attrs_id=attrs_id.numpy(), attrs_conf=attrs_conf.numpy()))
    return records


def main(argv=None):
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, cfg_options=args.cfg_options)
    if not hasattr(model.roi_head, 'extract_regions'):
        raise TypeError(f'{args.config}: the RoI head {type(model.roi_head).__name__} has no '
                        'extract_regions; use an AttributeRoIHead detector')
    cfg = model.cfg
    init_default_scope(cfg.get('default_scope', 'mmvl'))
    select_cfg = dict(conf_thr=args.conf_thr, nms_thr=args.nms_thr, min_boxes=args.min_boxes,
                      max_boxes=args.max_boxes)
    ds_cfg = cfg.test_dataloader.dataset
    split_files = args.split_file or [ds_cfg.get('split_file')]
    total = 0
    for split_file in split_files:
        dataset = DATASETS.build(dict(ds_cfg, split_file=split_file))
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=args.batch_size, shuffle=False,
            collate_fn=lambda items: dict(inputs=[i['inputs'] for i in items],
                                          data_samples=[i['data_samples'] for i in items]))
        print(f'extracting {len(dataset)} images of {split_file or "the test split"}')
        progress = ProgressBar(len(dataset))
        with torch.no_grad():
            for batch in loader:
                for record in records_of_batch(model, batch, select_cfg):
                    write_region_npz(args.out, record)
                    if args.tsv:
                        append_region_tsv(args.tsv, record)
                    progress.update()
                    total += 1
        print()
    print(f'wrote region features of {total} images to {args.out}'
          + (f' and {args.tsv}' if args.tsv else ''))


if __name__ == '__main__':
    main()
