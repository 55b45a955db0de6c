# Copyright (c) mmvl contributors. All rights reserved.
"""The ``README.md`` written into a generated toy world, describing every file and its format."""
from typing import Any, Dict

from .vocabulary import BASE_CLASSES, COLOURS, NOVEL_CLASSES, RELATIONS, SIZES

#: Top-level entries a toy-world run owns (cleared before a re-run into the same folder).
OUTPUT_ENTRIES = ('train', 'val', 'annotations', 'refcoco', 'vqa', 'nlvr2', 'imagenet', 'video',
                  'README.md', 'summary.json')

_LAYOUT = """\
```
{root}/
├── train/000000000001.png ...        scenes (PNG, 12-digit global image id, COCO 2017 style)
├── val/...                            val scenes, ids continue after train
├── annotations/
│   ├── instances_train.json           COCO instances (polygons of visible masks)
│   ├── instances_val.json
│   ├── captions_train.json            COCO captions, 5 per image
│   ├── captions_val.json
│   ├── karpathy_toyworld.json         Karpathy dataset_coco.json layout (train/val/test)
│   └── coco_karpathy_{{train,val,test}}.json   BLIP/LAVIS caption lists
├── refcoco/
│   ├── instances.json                 COCO instances over all images, file_name "<split>/<file>"
│   └── refs(unc).p                    refer-API refs (pickle), splits train/val/testA/testB
├── vqa/
│   ├── toyworld_{{train,val}}_questions.json    VQAv2 questions
│   └── toyworld_{{train,val}}_annotations.json  VQAv2 annotations, 10 answers each
├── nlvr2/
│   ├── train.json, dev.json           NLVR2 jsonl
│   └── images/{{train,dev}}/<split>-<set>-<pair>-img{{0,1}}.png
├── imagenet/
│   ├── train/<class>/<class>_00000.png ...      one object per image
│   ├── val/<class>/...
│   └── meta/{{train,val}}.txt          "<class>/<file> <label>" lines, label = CLASSES index
├── video/
│   ├── JPEGImages/<video_id>/00000.jpg ...
│   ├── annotations/youtube_vis_train.json       YouTube-VIS 2019
│   ├── meta_expressions.json          Ref-YouTube-VOS expressions
│   └── meta.json                      YouTube-VOS objects per video
├── README.md
└── summary.json                       arguments and counts
```
"""

_FILES = """\
## Vocabulary

- Shapes (COCO category ids 1..8, in order): base {base}; novel {novel}. Each category
  carries `"split": "base"|"novel"`.
- Colours: {colours}. Sizes: {sizes}. Relations: {relations} ("A left of B": the dominant
  axis of the centre offset, at least 8% of the image side).
- Held-out (colour, shape) pairs, never in any train product, present in val: {held}.

## Files

- **Scenes** (`train/`, `val/`): {size}x{size} PNG, 1-6 shapes over a textured background,
  painted in order; occlusion leaves at least 60% of each object visible.
- **COCO instances** (`annotations/instances_*.json`, https://cocodataset.org/#format-data):
  `segmentation` polygons from the visible mask (cv2.findContours), `area` = visible pixel
  count, `bbox` tight on the visible mask, `iscrowd` 0, plus `colour`, `size` and `centre`
  per annotation and a top-level `toyworld` block (seed, classes, held-out pairs). Load with
  mmdet `CocoDataset(data_root=<root>, ann_file='annotations/instances_train.json',
  data_prefix=dict(img='train/'), metainfo=dict(classes=CLASSES))`.
- **COCO captions** (`annotations/captions_*.json`): 5 template captions per image;
  `images[*].coco_url` is `<split>/<file>`, so mmpretrain `COCORetrieval` finds the images
  with `data_prefix=''`.
- **Karpathy** (`annotations/karpathy_toyworld.json`, layout of `dataset_coco.json` from
  https://cs.stanford.edu/people/karpathy/deepimagesent/): train images are `train`, val images
  alternate `val` / `test`. The same split as BLIP/LAVIS lists in
  `annotations/coco_karpathy_*.json` (`[{{"image", "caption", "image_id"}}]`; val/test hold a
  caption list per image), which mmpretrain `COCOCaption` reads with `data_prefix=''`.
- **RefCOCO** (`refcoco/`, layout of https://github.com/lichengunc/refer): `instances.json`
  covers all images (`file_name` includes the split folder); `refs(unc).p` is a pickled list of
  refs with `ref_id`, `ann_id`, `image_id`, `category_id`, `split`, `file_name`, `sentences`
  (`raw`, `sent`, `tokens`, `sent_id`), `sent_ids` and `compositions` ([attribute, shape] and
  [shape, relation, shape] units). Every expression is unique within its image. Splits:
  `train` (train images), `testB` (val refs touching a held-out pair), `val` / `testA` (other
  val refs, alternating by image). Load with mmdet `RefCocoDataset(data_root=<root>,
  ann_file='refcoco/instances.json', split_file='refcoco/refs(unc).p', data_prefix=dict(img_path=''))`.
- **VQAv2** (`vqa/`, https://visualqa.org/download.html): questions on counting, existence,
  colour, size and relations; answer types yes/no, number, other; 10 annotator answers with a
  few plausible mistakes, `multiple_choice_answer` is the truth (the majority). Question ids
  are `image_id * 1000 + k`. Load with mmpretrain `COCOVQA(data_root=<root>,
  data_prefix='train', question_file='vqa/toyworld_train_questions.json',
  ann_file='vqa/toyworld_train_annotations.json')`.
- **NLVR2** (`nlvr2/`, http://lil.nlp.cornell.edu/nlvr/): one JSON object per line with
  `identifier` (`<split>-<set>-<pair>-<sentence>`), `sentence`, `label` ("True"/"False") and the
  source scene ids `left_image_id` / `right_image_id`; the pair's images are copies of those
  scenes. Load with mmpretrain `NLVR2(data_root=<root>, ann_file='nlvr2/train.json',
  data_prefix='nlvr2/images/train')`.
- **ImageNet-style folders** (`imagenet/`): one folder per class with single-object images.
  `meta/*.txt` labels follow `CLASSES` order; use them (mmpretrain `ImageNet(data_root=
  '<root>/imagenet', split='train', metainfo=dict(classes=CLASSES))` or `CustomDataset` with
  `ann_file`), since scanning the folders sorts the classes alphabetically instead.
- **Video** (`video/`): clips of {frames} frames with 1-3 objects moving linearly.
  `annotations/youtube_vis_train.json` follows YouTube-VIS 2019
  (https://youtube-vos.org/dataset/vis/): per-frame `segmentations` as uncompressed COCO RLE,
  `bboxes`, `areas`, `None` where the object is not visible; each annotation's `obj_id` is
  the id used by `meta_expressions.json` (Ref-YouTube-VOS, https://youtube-vos.org/dataset/rvos/)
  and `meta.json` (YouTube-VOS).
- **summary.json**: the arguments and the counts below.

## Counts

{counts}
"""


def readme_text(summary: Dict[str, Any]) -> str:
    """Render ``README.md`` for a generated toy world.

    Args:
        summary (dict): The contents of ``summary.json``.

    Returns:
        str: Markdown text.
    """
    args = summary['arguments']
    counts = '\n'.join(f'- {key}: {value}' for key, value in summary['counts'].items())
    head = (f'# mmvl toy world\n\nSynthetic scenes in public data-set formats, written by\n'
            f'`tools/dataset_converters/make_toyworld.py --num-images {args["num_images"]} '
            f'--seed {args["seed"]} --image-size {args["image_size"]} --val-fraction '
            f'{args["val_fraction"]} --num-videos {args["num_videos"]}`. Re-running it with the '
            f'same arguments gives byte-identical files.\n\n## Layout\n\n')
    body = _FILES.format(
        base=', '.join(BASE_CLASSES), novel=', '.join(NOVEL_CLASSES), colours=', '.join(COLOURS),
        sizes=', '.join(SIZES), relations=', '.join(RELATIONS),
        held=', '.join(f'{c} {s}' for c, s in summary['held_out_pairs']),
        size=args['image_size'], frames=args['num_frames'], counts=counts)
    return head + _LAYOUT.format(root='<out>') + '\n' + body
