# Copyright (c) mmvl contributors. All rights reserved.
"""Build the VQA-as-classification answer table from official VQAv2 annotation files.

Example (the 3,129 answers of BUTD / ViLT / SOHO)::

    python tools/dataset_converters/build_vqa_answer_table.py \\
        data/vqav2/v2_mscoco_train2014_annotations.json \\
        data/vqav2/v2_mscoco_val2014_annotations.json \\
        --min-count 9 --out data/vqav2/answer_table.json

The table is a json list of answers, most frequent first; see
:func:`mmvl.datasets.vl.build_answer_table`.
"""
import argparse
import os.path as osp
import sys

import mmengine

try:
    from mmvl.datasets.vl import build_answer_table
except ImportError:  # running from a source checkout without `pip install -e .`
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmvl.datasets.vl import build_answer_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Build a VQA answer table.')
    parser.add_argument('annotations', nargs='+', help='v2_mscoco_*_annotations.json files')
    parser.add_argument('--out', required=True, help='output .json path')
    parser.add_argument('--min-count', type=int, default=9,
                        help='keep answers chosen at least this often (0: keep all)')
    parser.add_argument('--top-k', type=int, default=None, help='keep at most this many')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    answers = build_answer_table(args.annotations, min_count=args.min_count or None,
                                 top_k=args.top_k)
    mmengine.dump(answers, args.out)
    print(f'{len(answers)} answers written to {args.out}')


if __name__ == '__main__':
    main()
