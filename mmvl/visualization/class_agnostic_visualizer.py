# Copyright (c) mmvl contributors. All rights reserved.
"""Drawing for class-agnostic (open-world) detectors such as SWORD."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData

from mmvl.registry import VISUALIZERS


@VISUALIZERS.register_module()
class ClassAgnosticDetLocalVisualizer(DetLocalVisualizer):
    """mmdet's ``DetLocalVisualizer`` that names predictions by ``class_names``.

    A class-agnostic model predicts label 0 for every object, while the data set it runs on
    (whose metainfo mmengine's loops hand to the visualizer) names its own classes, so label
    0 would be drawn as the data set's first class. Predictions (instances with scores) are
    named ``class_names`` here; ground truth keeps the data set's names. Masks still get a
    jittered colour per instance.

    Args:
        name (str): Name of the visualizer instance. Defaults to 'visualizer'.
        class_names (Sequence[str]): The model's label names. Defaults to ``('object',)``.
        **kwargs: Those of ``DetLocalVisualizer``.
    """

    def __init__(self, name: str = 'visualizer', class_names: Sequence[str] = ('object', ),
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.class_names = tuple(class_names)

    def _draw_instances(self, image: np.ndarray, instances: InstanceData,
                        classes: Optional[List[str]],
                        palette: Optional[List[Tuple[int, int, int]]]) -> np.ndarray:
        if 'scores' in instances:  # predictions
            classes = list(self.class_names)
        return super()._draw_instances(image, instances, classes, palette)
