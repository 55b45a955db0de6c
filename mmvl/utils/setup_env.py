# Copyright (c) mmvl contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmvl package that registers modules, and optionally set the default scope.

    Args:
        init_default_scope (bool): Whether to set the default scope to ``mmvl``, so that
            registries look components up in mmvl first. Defaults to True.
    """
    import mmvl.apis  # noqa: F401
    import mmvl.datasets  # noqa: F401
    import mmvl.engine  # noqa: F401
    import mmvl.evaluation  # noqa: F401
    import mmvl.models  # noqa: F401
    import mmvl.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmvl', scope_name='mmvl')
    elif current.scope_name != 'mmvl':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mmvl"; '
                      '`register_all_modules` forces it to "mmvl".')
        # A new instance name so the existing scope object is left untouched.
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'mmvl-{stamp}', scope_name='mmvl')
