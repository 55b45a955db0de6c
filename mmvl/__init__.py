# Copyright (c) mmvl contributors. All rights reserved.
from .utils.dependency import check_dependencies
from .version import __version__, version_info

check_dependencies()

__all__ = ['__version__', 'version_info']
