# Copyright (c) mmvl contributors. All rights reserved.
"""Check the installed stack against the pins mmvl is tested with, naming every mismatch."""
from importlib import metadata
from typing import Dict, List, Optional, Tuple

from packaging.version import Version

# name -> (minimum inclusive, maximum exclusive, why). The tested pins are in requirements/.
SUPPORTED: Dict[str, Tuple[str, Optional[str], str]] = {
    'torch': ('2.0.0', None, 'mmvl is tested on torch 2.14.1'),
    'mmengine': ('0.10.0', '1.0.0', 'runner, config and registry API of 0.10.x'),
    'mmcv': ('2.0.0rc4', '2.2.0', 'mmdet 3.3.0 refuses mmcv >= 2.2.0'),
    'mmdet': ('3.3.0', '3.4.0', 'DETR-family layers and COCO metric of 3.3.0'),
    'mmpretrain': ('1.2.0', '1.3.0', 'self-supervised and multimodal bases of 1.2.0'),
    'transformers': ('4.40.0', '4.57.0', '4.57+ breaks mmpretrain 1.2.0 multimodal imports'),
}

FIX_HINT = ('Run `bash tools/setup_env.sh` (or `make setup`) to create the tested environment, '
            'or install the pins in requirements/.')


def find_mismatches(installed: Optional[Dict[str, Optional[str]]] = None) -> List[str]:
    """Return one human-readable line per missing or out-of-range dependency.

    Args:
        installed (dict, optional): Package name to version (``None`` when missing). Defaults to
            None, which reads the versions installed in this environment.

    Returns:
        list[str]: Problems found; empty when the stack matches.
    """
    if installed is None:
        installed = {}
        for name in SUPPORTED:
            try:
                installed[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed[name] = None
    problems = []
    for name, (low, high, why) in SUPPORTED.items():
        version = installed.get(name)
        wanted = f'>={low}' + (f',<{high}' if high else '')
        if version is None:
            problems.append(f'{name} is not installed (need {wanted}: {why})')
            continue
        parsed = Version(version.split('+')[0])
        if parsed < Version(low) or (high is not None and parsed >= Version(high)):
            problems.append(f'{name}=={version} is installed but mmvl needs {name}{wanted} ({why})')
    if installed.get('mmcv') is not None and installed.get('mmcv-lite') is not None:
        problems.append('both mmcv and mmcv-lite are installed; uninstall mmcv-lite')
    return problems


def check_dependencies() -> None:
    """Raise one ``ImportError`` listing every dependency that does not match the pins."""
    problems = find_mismatches()
    if problems:
        lines = '\n  - '.join(problems)
        raise ImportError(f'mmvl found an incompatible environment:\n  - {lines}\n{FIX_HINT}')
