# Copyright (c) mmvl contributors. All rights reserved.
"""Drawing for prompt-based detectors (UNINEXT): labels name the prompt's entities."""
from typing import Optional, Tuple

from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer

from mmvl.registry import VISUALIZERS


def prompt_entities(data_sample: DetDataSample) -> Optional[Tuple[str, ...]]:
    """What a prompted sample's labels index: its category names, or its expression.

    A detection prompt (``task='detection'``) lists category names and labels index them in
    prompt order; a referring expression (``task='grounding'``) is the one entity, label 0.
    None for a sample without a prompt.
    """
    task, text = data_sample.metainfo.get('task'), data_sample.metainfo.get('text')
    if task == 'detection' and text is not None:
        return tuple(text)
    if task == 'grounding' and text is not None:
        return (text, )
    return None


@VISUALIZERS.register_module()
class PromptDetLocalVisualizer(DetLocalVisualizer):
    """mmdet's ``DetLocalVisualizer`` naming each sample's labels by its prompt.

    A prompt-based model's labels index the prompt of each image (the category names in
    prompt order, or the referring expression), not the data set's class list. For a sample
    with a prompt, ground truth and predictions are drawn with the prompt's entities as class
    names; the data set's palette is kept when it has enough colours. Samples without a
    prompt are drawn as ``DetLocalVisualizer`` draws them.
    """

    def add_datasample(self, name: str, image, data_sample: Optional[DetDataSample] = None,
                       *args, **kwargs) -> None:
        entities = prompt_entities(data_sample) if data_sample is not None else None
        if entities is None:
            return super().add_datasample(name, image, data_sample, *args, **kwargs)
        dataset_meta = self.dataset_meta
        palette = (dataset_meta or {}).get('palette')
        if not isinstance(palette, list) or len(palette) < len(entities):
            palette = 'random'
        self.dataset_meta = dict(dataset_meta or {}, classes=entities, palette=palette)
        try:
            return super().add_datasample(name, image, data_sample, *args, **kwargs)
        finally:
            self.dataset_meta = dataset_meta
