# Copyright (c) mmvl contributors. All rights reserved.
"""mmvl's registries: one node per OpenMMLab component kind, each a child of mmengine's root node.

Components registered here are found under the scope ``mmvl``. Components of mmdet and
mmpretrain are reached from an mmvl config with a scope prefix (``type='mmdet.MaskRCNN'``);
give the borrowed subtree ``_scope_='mmdet'`` as well, so that its nested parts resolve there.
The ``locations`` make a registry import its package on first lookup, as mmpretrain does.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry
from mmpretrain.registry import BATCH_AUGMENTS as MMPRETRAIN_BATCH_AUGMENTS
from mmpretrain.registry import TOKENIZER as MMPRETRAIN_TOKENIZER

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'BATCH_AUGMENTS', 'TASK_UTILS', 'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS',
    'INFERENCERS', 'FUNCTIONS', 'TOKENIZERS', 'STRATEGIES'
]

# Training and running
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['mmvl.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, locations=['mmvl.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmvl.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmvl.engine'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMENGINE_LOG_PROCESSORS, locations=['mmvl.engine'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['mmvl.engine'])
OPTIM_WRAPPERS = Registry(
    'optim wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['mmvl.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmvl.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['mmvl.engine'])
# Training strategies of mmengine's FlexibleRunner (DeepSpeed, FSDP, ...).
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, locations=['mmvl.engine'])

# Data
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['mmvl.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['mmvl.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, locations=['mmvl.datasets'])

# Models
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmvl.models'])
MODEL_WRAPPERS = Registry(
    'model wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['mmvl.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['mmvl.models'])
# Batch augmentations (Mixup, CutMix) act on a whole batch in the data preprocessor. mmengine has
# no root node for them (a parent holds one child per scope, so MODELS cannot be reused): the
# parent is mmpretrain's node, whose augmentations an mmvl config then finds too.
BATCH_AUGMENTS = Registry(
    'batch augment', parent=MMPRETRAIN_BATCH_AUGMENTS, locations=['mmvl.models'])
# Assigners, samplers, coders, prior generators, matchers.
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, locations=['mmvl.models'])
# Text tokenizers. The parent is mmpretrain's node, which registers transformers' tokenizers
# (``AutoTokenizer``, ``BertTokenizer``, ...) by name.
TOKENIZERS = Registry('tokenizer', parent=MMPRETRAIN_TOKENIZER, locations=['mmvl.models'])

# Evaluation
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mmvl.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['mmvl.evaluation'])

# Visualisation and inference
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['mmvl.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, locations=['mmvl.visualization'])
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS, locations=['mmvl.apis'])

# Functions (collate functions and the like)
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=['mmvl.datasets'])
