# Copyright (c) mmvl contributors. All rights reserved.
"""Layer-wise learning-rate decay for a ResNet backbone in a detector, as SparK's COCO recipe.

SparK (Tian et al., ICLR 2023, arXiv 2301.03580), Sec. 4.3 and the authors'
``downstream_d2/lr_decay.py``: Mask R-CNN fine-tuning scales each backbone parameter's
learning rate by ``decay ** (N + 1 - layer_id)`` with

- the stem (conv1, bn1): layer 0;
- layer1 (res2): 1; layer2 (res3): 2;
- layer3 (res4), block b: ``3 + b // 3``;
- layer4 (res5): ``N = 3 + ceil(len(layer3) / 3)`` (5 for ResNet-50, 11 for ResNet-101);
- every parameter outside the backbone (FPN, heads): ``N + 1``, so factor 1.

mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` needs a ``get_layer_depth`` method on
the model, which mmdet detectors do not have, and mmpretrain's ResNet rule is the authors'
ImageNet one (``resnets_get_layer_id_and_scale_exp``: layer2 split in two), not this one.
"""
import math
from typing import List, Tuple

from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmvl.registry import OPTIM_WRAPPER_CONSTRUCTORS


def resnet_d2_layer_id(name: str, num_layer3_blocks: int, prefix: str = 'backbone.'
                       ) -> Tuple[int, int]:
    """Layer id and the number N of the authors' detectron2 rule (module docstring).

    Args:
        name (str): A parameter name of the whole model, e.g. 'backbone.layer3.4.conv1.weight'.
        num_layer3_blocks (int): Blocks of the backbone's layer3 (res4).
        prefix (str): Prefix of the backbone's parameters. Defaults to 'backbone.'.

    Returns:
        tuple[int, int]: (layer_id, N); the lr factor is ``decay ** (N + 1 - layer_id)``.
    """
    num = 3 + math.ceil(num_layer3_blocks / 3)
    if not name.startswith(prefix):
        return num + 1, num
    parts = name[len(prefix):].split('.')
    if not parts[0].startswith('layer'):
        return 0, num  # stem
    stage = int(parts[0][len('layer'):])
    if stage == 1:
        return 1, num
    if stage == 2:
        return 2, num
    if stage == 3:
        return 3 + int(parts[1]) // 3, num
    return num, num


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ResNetLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """:class:`DefaultOptimWrapperConstructor` plus SparK's detectron2 layer-wise lr decay.

    Every ``paramwise_cfg`` option of the default constructor (``norm_decay_mult``,
    ``bias_decay_mult``, ``custom_keys``...) applies first; then each parameter's learning rate
    (the base one, or the one ``lr_mult`` set) is multiplied by
    ``layer_decay_rate ** (N + 1 - layer_id)`` (:func:`resnet_d2_layer_id`). Works for any
    model whose ResNet sits at ``backbone`` (mmdet detectors, mmpretrain classifiers) and any
    depth.

    ``paramwise_cfg`` keys read here:

    - ``layer_decay_rate`` (float): the decay; SparK uses 0.6 for Mask R-CNN R50.
    - ``backbone_name`` (str): attribute of the model holding the ResNet. Defaults to
      'backbone'.
    """

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   **kwargs) -> None:
        """Add the parameter groups of the default constructor, then scale their lrs."""
        first = len(params)
        super().add_params(params, module, prefix=prefix, **kwargs)
        if prefix:  # only the outermost call scales, once every group exists
            return
        decay = self.paramwise_cfg.get('layer_decay_rate', 1.0)
        backbone_name = self.paramwise_cfg.get('backbone_name', 'backbone')
        backbone = getattr(module, backbone_name, None)
        layer3 = getattr(backbone, 'layer3', None)
        if layer3 is None:
            raise ValueError(f'{type(self).__name__}: the model has no ResNet at '
                             f'{backbone_name!r} (an attribute with a layer3)')
        names = {id(p): n for n, p in module.named_parameters()}
        logger = MMLogger.get_current_instance()
        for group in params[first:]:
            name = names[id(group['params'][0])]
            layer_id, num = resnet_d2_layer_id(name, len(layer3), f'{backbone_name}.')
            scale = decay**(num + 1 - layer_id)
            group['lr'] = group.get('lr', self.base_lr) * scale
            group['lr_scale'] = scale
            logger.debug(f'{name}: layer {layer_id}, lr scale {scale:.4g}')
