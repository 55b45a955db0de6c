# Copyright (c) mmvl contributors. All rights reserved.
from .utils.dependency import check_dependencies
from .version import __version__, version_info

check_dependencies()


def _register_config_package() -> None:
    """Let configs inherit mmvl configs as ``_base_ = 'mmvl::<algo>/<config>.py'``.

    mmengine 0.10.7 resolves ``pkg::`` bases only for the packages named in its
    ``MODULE2PACKAGE`` table (mmdet, mmpretrain, ...); adding mmvl's entry is how a downstream
    package joins it. Configs are then read from ``mmvl/.mim/configs`` (links to ``configs/``).
    """
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmvl', 'mmvl')


_register_config_package()


def _apply_stack_fixes() -> None:
    """Fixes for the pinned stack under numpy 2 (see :mod:`mmvl.utils.compat`)."""
    from .utils.compat import apply_numpy2_fixes
    apply_numpy2_fixes()


_apply_stack_fixes()

__all__ = ['__version__', 'version_info']
