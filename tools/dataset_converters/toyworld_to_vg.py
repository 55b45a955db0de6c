# Copyright (c) mmvl contributors. All rights reserved.
"""Write the toy world's COCO instances in the Visual Genome file layout.

The bottom-up-attention detector used by "Learning Rich Image Region Representation for
Visual Question Answering" (arXiv 1910.13077) is trained on Visual Genome objects and
attributes. This tool writes the toy world in the same files, so that
:class:`mmvl.datasets.VisualGenomeDetDataset` reads both the same way:

- ``image_data.json``: ``[{image_id, url, width, height, coco_id, flickr_id}]``; the url's
  last two parts are the image path relative to the toy world root (``train/000000.png``).
- ``objects.json``: ``[{image_id, objects: [{object_id, x, y, w, h, names, synsets}]}]``.
- ``attributes.json``: the same objects with ``attributes`` = [colour, size].
- ``objects_vocab.txt`` (the 8 shapes) and ``attributes_vocab.txt`` (8 colours + 3 sizes),
  one class a line as in BUTD's vocabulary files.
- ``train.txt`` / ``val.txt``: image ids of each split (the toy world's own split).

Image ids are the COCO ids (unique over both toy splits), so the VQA questions of the toy
world (which refer to the same ids) find their images' region features.

Example::

    python tools/dataset_converters/toyworld_to_vg.py data/toyworld --out data/toyworld/vg
"""
import argparse
import json
import os
import os.path as osp


def convert(root: str, out: str, splits=('train', 'val')) -> dict:
    """Convert ``<root>/annotations/instances_<split>.json`` files; returns counts."""
    images, objects, attributes = [], [], []
    shapes, colours, sizes = None, None, None
    counts = {}
    object_id = 0
    for split in splits:
        path = osp.join(root, 'annotations', f'instances_{split}.json')
        if not osp.exists(path):
            raise FileNotFoundError(f'toy world instances not found: {path}; make the toy '
                                    'world with tools/dataset_converters/make_toyworld.py')
        with open(path, encoding='utf-8') as f:
            coco = json.load(f)
        meta = coco.get('toyworld')
        if not meta:
            raise ValueError(f'{path} has no "toyworld" block; is it a toy world file?')
        shapes, colours, sizes = meta['classes'], meta['colours'], meta['sizes']
        names = {cat['id']: cat['name'] for cat in coco['categories']}
        by_image = {img['id']: [] for img in coco['images']}
        for ann in coco['annotations']:
            by_image[ann['image_id']].append(ann)
        ids = []
        for img in coco['images']:
            ids.append(img['id'])
            images.append(
                dict(image_id=img['id'], url=f'toyworld/{split}/{img["file_name"]}',
                     width=img['width'], height=img['height'], coco_id=img['id'],
                     flickr_id=None))
            objs, attrs = [], []
            for ann in by_image[img['id']]:
                object_id += 1
                x, y, w, h = ann['bbox']
                obj = dict(object_id=object_id, x=x, y=y, w=w, h=h,
                           names=[names[ann['category_id']]], synsets=[])
                objs.append(obj)
                attrs.append(dict(obj, attributes=[ann['colour'], ann['size']]))
            objects.append(dict(image_id=img['id'], objects=objs))
            attributes.append(dict(image_id=img['id'], attributes=attrs))
        os.makedirs(out, exist_ok=True)
        with open(osp.join(out, f'{split}.txt'), 'w', encoding='utf-8') as f:
            f.write(''.join(f'{i}\n' for i in ids))
        counts[split] = dict(images=len(ids), objects=sum(len(by_image[i]) for i in ids))
    for name, data in (('image_data', images), ('objects', objects),
                       ('attributes', attributes)):
        with open(osp.join(out, f'{name}.json'), 'w', encoding='utf-8') as f:
            json.dump(data, f)
    with open(osp.join(out, 'objects_vocab.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{s}\n' for s in shapes))
    with open(osp.join(out, 'attributes_vocab.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{a}\n' for a in list(colours) + list(sizes)))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='toy world root (holds annotations/)')
    parser.add_argument('--out', default=None, help='output folder (default <root>/vg)')
    args = parser.parse_args()
    out = args.out or osp.join(args.root, 'vg')
    counts = convert(args.root, out)
    print(f'wrote {out}: {counts}')


if __name__ == '__main__':
    main()
