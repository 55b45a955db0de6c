# Copyright (c) mmvl contributors. All rights reserved.
"""The ``README.md`` written into a generated toy world, describing every file and its format."""
from typing import Any, Dict

from .actions import ACTION_CLIP_FRAMES, ACTION_CLIP_SIZE, ACTIONS
from .vocabulary import BASE_CLASSES, COLOURS, NOVEL_CLASSES, RELATIONS, SIZES

#: Top-level entries a toy-world run owns (cleared before a re-run into the same folder).
OUTPUT_ENTRIES = ('train', 'val', 'by_id', 'annotations', 'refcoco', 'vqa', 'nlvr2', 'imagenet',
                  'video', 'README.md', 'summary.json')

_LAYOUT = """\
```
{root}/
├── train/000000.png ...               scenes (PNG), numbered within the split
├── val/000000.png ...
├── by_id/000000000001.png ...         hard links to the scenes named by 12-digit image id
├── annotations/
│   ├── instances_train.json           COCO instances (polygons of visible masks)
│   ├── instances_val.json
│   ├── captions_train.json            COCO captions, 5 per image
│   ├── captions_val.json
│   ├── karpathy_toyworld.json         Karpathy dataset_coco.json layout (train/val/test)
│   └── coco_karpathy_{{train,val,test}}.json   BLIP/LAVIS caption lists (images in by_id/)
├── refcoco/
│   ├── instances.json                 COCO instances, all images, "<split>/<file>" names
│   └── refs(unc).p                    refer-API refs (pickle), splits train/val/testA/testB
├── vqa/
│   ├── toyworld_{{train,val}}_questions.json    VQAv2 questions
│   ├── toyworld_{{train,val}}_annotations.json  VQAv2 annotations, 10 answers each
│   └── answer_table.json              answers of VQA-as-classification (train, min count 1)
├── nlvr2/
│   ├── train.json, dev.json           NLVR2 jsonl
│   └── images/{{train,dev}}/<split>-<set>-<pair>-img{{0,1}}.png   hard links to scenes
├── imagenet/
│   ├── train/<class>/<class>_00000.png ...      one object per image
│   ├── val/<class>/...
│   └── meta/{{train,val}}.txt          "<class>/<file> <label>", label = CLASSES index
├── video/
│   ├── JPEGImages/<video_id>/00000.jpg ...
│   ├── annotations/youtube_vis_train.json       YouTube-VIS 2019
│   ├── meta_expressions.json          Ref-YouTube-VOS expressions
│   ├── meta.json                      YouTube-VOS objects per video
│   └── actions/                       action clips, {action_size} px, {action_frames} frames
│       ├── videos/{{train,val}}/act00000.mp4 ...      MPEG-4 videos
│       ├── rawframes/{{train,val}}/act00000/img_00001.jpg ...  the same, JPEG
│       ├── kinetics_{{train,val}}_list_videos.txt    Kinetics-400 list "<file> <label>"
│       ├── sthv2_{{train,val}}_list_rawframes.txt    rawframe list "<folder> <frames> <label>"
│       └── label_map.txt              action names, one per line, in label order
├── README.md
└── summary.json                       arguments and counts
```
"""

_FILES = """\
## Vocabulary

- Shapes (COCO category ids 1..8, in this order): base {base}; novel {novel}.
  Each category carries `"split": "base"|"novel"`.
- Colours: {colours}.
- Sizes: {sizes}.
- Relations: {relations}. "A left of B" when the dominant axis of the offset between the
  centres is horizontal, B lies to the right, and the offset is at least 8% of the image side.
- Held-out (colour, shape) pairs, absent from every train product (scenes, text, ImageNet
  train, videos) and present in val: {held}.

## Files

- **Scenes** (`train/`, `val/`): {size}x{size} PNG, 1-6 shapes over a textured background,
  painted in order; occlusion leaves at least 60% of each object visible and objects of one
  colour never touch. Image ids are global (train 1..n, val after it); file names count within
  the split. `by_id/<image_id:012d>.png` hard-links every scene under its id (COCO 2017
  naming) for loaders that read the id from the file name (mmpretrain `COCOVQA`,
  `COCOCaption`).
- **COCO instances** (`annotations/instances_*.json`, https://cocodataset.org/#format-data):
  `segmentation` polygons tracing the visible mask's pixel edges (rasterising them gives the
  mask back), `area` = visible pixel
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
  caption list per image, images given as `by_id/<id>.png`), which mmpretrain `COCOCaption`
  reads with `data_prefix=''`; its metric then matches ids with `captions_val.json`.
- **RefCOCO** (`refcoco/`, layout of https://github.com/lichengunc/refer): `instances.json`
  covers all images (`file_name` includes the split folder); `refs(unc).p` is a pickled list of
  refs with `ref_id`, `ann_id`, `image_id`, `category_id`, `split`, `file_name`, `sentences`
  (`raw`, `sent`, `tokens`, `sent_id`), `sent_ids` and `compositions` ([attribute, shape] and
  [shape, relation, shape] units). Every expression is unique within its image. Splits:
  `train` (train images), `testB` (val refs touching a held-out pair), `val` / `testA` (other
  val refs, alternating by image; `val` can be empty for a handful of images). Load with mmdet
  `RefCocoDataset(data_root=<root>, ann_file='refcoco/instances.json',
  split_file='refcoco/refs(unc).p', data_prefix=dict(img_path=''), split='train')`.
- **VQAv2** (`vqa/`, https://visualqa.org/download.html): questions on counting, existence,
  colour, size and relations; answer types yes/no, number, other; 10 annotator answers with a
  few plausible mistakes, `multiple_choice_answer` is the truth (the majority). Question ids
  are `image_id * 1000 + k`. Load with mmpretrain `COCOVQA(data_root=<root>,
  data_prefix='by_id', question_file='vqa/toyworld_train_questions.json',
  ann_file='vqa/toyworld_train_annotations.json')`. `answer_table.json` lists every normalised
  train answer, most frequent first (`build_vqa_answer_table.py --min-count 1`), for
  mmvl `VQAv2Dataset(answer_table=...)`.
- **NLVR2** (`nlvr2/`, http://lil.nlp.cornell.edu/nlvr/): one JSON object per line with
  `identifier` (`<split>-<set>-<pair>-<sentence>`), `sentence`, `label` ("True"/"False") and the
  source scene ids `left_image_id` / `right_image_id`; the pair's images are hard links to
  those scenes. Load with mmpretrain `NLVR2(data_root=<root>, ann_file='nlvr2/train.json',
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
- **Action clips** (`video/actions/`): {action_size}x{action_size} clips of {action_frames} frames
  where one shape performs one action ({actions}), sometimes beside a static distractor;
  shape, colour and size do not depend on the action, so only motion tells the classes apart
  (left and right differ only in frame order). Labels cycle through the actions (the
  `label_map.txt` order); train clips come first. `videos/` holds mp4 files listed as in
  Kinetics-400 (mmaction2 `VideoDataset` list: `train/act00000.mp4 0`, relative to `videos/`);
  `rawframes/` holds the same frames as JPEG folders (`img_00001.jpg`, ...) listed as in
  Something-Something V2 rawframes (mmaction2 `RawframeDataset` list: `train/act00000 16 0`).
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
    command = ('python tools/dataset_converters/make_toyworld.py --out <out> ' + ' '.join(
        f'--{key.replace("_", "-")} {value}' for key, value in args.items()))
    head = (f'# mmvl toy world\n\nSynthetic scenes in public data-set formats, written by\n\n'
            f'```\n{command}\n```\n\nRe-running it with the same arguments gives '
            f'byte-identical files.\n\n## Layout\n\n')
    body = _FILES.format(
        base=', '.join(BASE_CLASSES), novel=', '.join(NOVEL_CLASSES), colours=', '.join(COLOURS),
        sizes=', '.join(SIZES), relations=', '.join(RELATIONS),
        held=', '.join(f'{c} {s}' for c, s in summary['held_out_pairs']),
        size=args['image_size'], frames=args['num_frames'], counts=counts,
        action_size=ACTION_CLIP_SIZE, action_frames=ACTION_CLIP_FRAMES,
        actions=', '.join(ACTIONS))
    layout = _LAYOUT.format(root='<out>', action_size=ACTION_CLIP_SIZE,
                            action_frames=ACTION_CLIP_FRAMES)
    return head + layout + '\n' + body
