# Copyright (c) mmvl contributors. All rights reserved.
from .bf16_autocast_optim_wrapper import BF16AutocastOptimWrapper
from .param_prefix_constructor import (ParamPrefixOptimWrapperDictConstructor,
                                       update_params_all)
from .resnet_layer_decay_constructor import ResNetLayerDecayOptimWrapperConstructor

__all__ = ['BF16AutocastOptimWrapper']
__all__ += ['ResNetLayerDecayOptimWrapperConstructor']
__all__ += ['ParamPrefixOptimWrapperDictConstructor', 'update_params_all']
