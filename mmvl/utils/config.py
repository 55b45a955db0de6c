# Copyright (c) mmvl contributors. All rights reserved.
"""Config helpers shared by the tools: catching misspelt ``--cfg-options`` keys."""
import difflib
import os.path as osp
from typing import Any, Dict, List, Optional

from mmengine.config import Config, ConfigDict


class UnknownConfigKeyError(KeyError):
    """A ``--cfg-options`` key that the config does not hold."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0])


def _children(node: Any) -> Dict[str, Any]:
    if isinstance(node, (dict, ConfigDict)):
        return dict(node)
    if isinstance(node, (list, tuple)):
        return {str(i): v for i, v in enumerate(node)}
    return {}


def check_cfg_options(cfg: Config, options: Dict[str, Any]) -> None:
    """Refuse ``--cfg-options`` keys that would silently add settings nobody reads.

    mmengine merges any ``a.b.c=v`` into the config, so ``train_cfg.max_iter=10`` (instead of
    ``max_iters``) or ``wrok_dir=...`` would be accepted and ignored. A key is accepted when every
    part of its path exists, or when the missing part's parent is a component (a dict with
    ``type``), since components take constructor arguments that the config may leave at their
    defaults; the component's own build then rejects a wrong argument by name.

    Args:
        cfg (Config): The loaded config, before the options are merged.
        options (dict): The parsed ``--cfg-options``.

    Raises:
        UnknownConfigKeyError: Naming the unknown key, the keys that exist at that level and
            the closest match.
    """
    for full_key in options:
        node: Any = cfg._cfg_dict if isinstance(cfg, Config) else cfg
        parts: List[str] = full_key.split('.')
        for depth, part in enumerate(parts):
            children = _children(node)
            if part in children:
                node = children[part]
                continue
            if isinstance(node, (dict, ConfigDict)) and 'type' in node and depth > 0:
                break  # a constructor argument left at its default
            where = '.'.join(parts[:depth]) or '<top level>'
            valid = sorted(k for k in children if not k.startswith('_'))
            close = difflib.get_close_matches(part, valid, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ''
            raise UnknownConfigKeyError(
                f"unknown config key '{full_key}': '{part}' is not in {where} (it holds: "
                f"{', '.join(valid)}).{hint}")


def read_config(path: str, cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read a config file and merge ``--cfg-options``, refusing keys it does not hold.

    The one way every mmvl tool loads a config from the command line.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): Parsed ``--cfg-options``. Defaults to None.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        UnknownConfigKeyError: Naming a ``cfg_options`` key the config does not hold.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg
