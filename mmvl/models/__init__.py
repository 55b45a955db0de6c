# Copyright (c) mmvl contributors. All rights reserved.
# mmvl.registry.TOKENIZERS and BATCH_AUGMENTS are children of mmpretrain's nodes, and a child's
# lookup does not import its parent's package: import it so transformers' tokenizers and
# mmpretrain's batch augments are registered there.
import mmpretrain.models  # noqa: F401

from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .language_models import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .multimodal import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .recognizers import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
