# Copyright (c) mmvl contributors. All rights reserved.
"""Check the installed stack against the pins mmvl is tested with, naming every mismatch.

Versions are read from package metadata, so the check imports none of the packages.
"""
import glob
import importlib.util
import os.path as osp
from importlib import metadata
from typing import Dict, List, Optional, Tuple

from packaging.version import Version

# name -> (minimum inclusive, maximum exclusive, why). The tested pins are in requirements/.
SUPPORTED: Dict[str, Tuple[str, Optional[str], str]] = {
    'torch': ('2.0.0', None, 'mmvl is tested on torch 2.14.1'),
    'torchvision': ('0.15.0', None, 'mmvl is tested on torchvision 0.29.1'),
    'mmengine': ('0.10.0', '1.0.0', 'runner, config and registry API of 0.10.x'),
    'mmcv': ('2.0.0rc4', '2.2.0', 'mmdet 3.3.0 refuses mmcv >= 2.2.0'),
    'mmdet': ('3.3.0', '3.4.0', 'DETR-family layers and COCO metric of 3.3.0'),
    'mmpretrain': ('1.2.0', '1.3.0', 'self-supervised and multimodal bases of 1.2.0'),
    'transformers': ('4.40.0', '4.57.0', '4.57+ breaks mmpretrain 1.2.0 multimodal imports'),
    'numpy': ('1.23.0', '2.5.0', 'numpy 2.5 is untested with the pinned stack'),
    'setuptools': ('60.0.0', '81.0.0', 'mmengine 0.10.7 and mmcv import pkg_resources'),
}

FIX_HINT = ('Run `bash tools/setup_env.sh` (or `make setup`) to create the tested environment, '
            'or install the pins in requirements/.')


def installed_versions() -> Dict[str, Optional[str]]:
    """Version of each package in :data:`SUPPORTED` (``None`` when missing), plus mmcv-lite."""
    versions: Dict[str, Optional[str]] = {}
    for name in list(SUPPORTED) + ['mmcv-lite']:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def mmcv_has_ops() -> bool:
    """Whether the installed mmcv carries its compiled ops (``mmcv/_ext*.so``), without importing."""
    spec = importlib.util.find_spec('mmcv')
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(
        glob.glob(osp.join(location, '_ext*')) for location in spec.submodule_search_locations)


def find_mismatches(installed: Optional[Dict[str, Optional[str]]] = None,
                    has_ops: Optional[bool] = None) -> List[str]:
    """Return one human-readable line per missing or out-of-range dependency.

    Args:
        installed (dict, optional): Package name to version (``None`` when missing). Defaults to
            None, which reads the versions installed in this environment.
        has_ops (bool, optional): Whether mmcv has its compiled ops. Defaults to None, which
            looks at the installed mmcv.

    Returns:
        list[str]: Problems found; empty when the stack matches.
    """
    if installed is None:
        installed = installed_versions()
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
    torch_v, vision_v = installed.get('torch'), installed.get('torchvision')
    if torch_v and vision_v:
        torch_minor = Version(torch_v.split('+')[0]).minor
        vision_minor = Version(vision_v.split('+')[0]).minor
        if vision_minor != torch_minor + 15:  # torch 2.N pairs with torchvision 0.(N+15)
            problems.append(f'torchvision=={vision_v} does not match torch=={torch_v} (torch 2.'
                            f'{torch_minor} needs torchvision 0.{torch_minor + 15}); a mismatched '
                            'pair fails at import with "operator torchvision::nms does not exist"')
    if installed.get('mmcv') is not None:
        if installed.get('mmcv-lite') is not None:
            problems.append('both mmcv and mmcv-lite are installed; uninstall mmcv-lite')
        if has_ops is None:
            has_ops = mmcv_has_ops()
        if not has_ops:
            problems.append('mmcv is installed without its compiled ops (mmcv._ext), which mmdet '
                            'needs; it was probably built in an isolated environment. Rebuild it '
                            'with tools/setup_env.sh (no build isolation)')
    return problems


def check_dependencies() -> None:
    """Raise one ``ImportError`` listing every dependency that does not match the pins."""
    problems = find_mismatches()
    if problems:
        lines = '\n  - '.join(problems)
        raise ImportError(f'mmvl found an incompatible environment:\n  - {lines}\n{FIX_HINT}')
