# Copyright (c) mmvl contributors. All rights reserved.
from .config import UnknownConfigKeyError, check_cfg_options, read_config
from .dependency import check_dependencies, find_mismatches
from .setup_env import register_all_modules

__all__ = [
    'UnknownConfigKeyError', 'check_cfg_options', 'read_config', 'check_dependencies', 'find_mismatches', 'register_all_modules']
