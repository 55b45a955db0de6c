# Copyright (c) mmvl contributors. All rights reserved.
"""Checkpoint writing and loading that survive torch >= 2.6 and a kill mid-write.

Two problems of mmengine 0.10.7 on a recent torch are fixed here, in one place:

* ``torch.load`` defaults to ``weights_only=True`` since torch 2.6, and mmengine's resume
  checkpoints hold a ``HistoryBuffer`` and numpy scalars, so ``--resume`` and ``load_from`` of the
  user's own checkpoints fail. Unpickling arbitrary objects runs code, so mmvl does not simply
  turn the safe loader off: every checkpoint an mmvl run writes is signed with an HMAC under a
  per-user key (a ``<file>.mmvl-sig`` sidecar), and only a file whose signature verifies (or a
  path the user lists in ``MMVL_TRUSTED_CHECKPOINTS``) is loaded with ``weights_only=False``.
  Everything else (downloaded weights, files from other people) goes through the safe loader.
* mmengine's ``LocalBackend.put`` writes the checkpoint file in place, so a kill during the
  write leaves a truncated file under the final name. :class:`AtomicLocalBackend` writes to a
  temporary file in the same directory, fsyncs it and renames it over the target.

``import mmvl.engine`` registers the backend as ``'mmvl_local'`` (mmvl's default runtime gives it
to the ``CheckpointHook`` through ``backend_args``) and replaces mmengine's local checkpoint
loader (prefix ``''``) with :func:`load_from_local`.
"""
import hashlib
import hmac
import os
import os.path as osp
import pickle
import secrets
import tempfile
from pathlib import Path
from typing import Optional, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.runner import CheckpointLoader

SIGNATURE_SUFFIX = '.mmvl-sig'
TRUST_ENV = 'MMVL_TRUSTED_CHECKPOINTS'
_KEY_ENV = 'MMVL_CHECKPOINT_KEY_FILE'


def _key_file() -> Path:
    default = Path(os.environ.get('XDG_CACHE_HOME', Path.home() / '.cache')) / 'mmvl' / 'checkpoint.key'
    return Path(os.environ.get(_KEY_ENV, default))


def _signing_key() -> bytes:
    """Return this user's signing key, creating it (mode 0600) on first use."""
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        # O_EXCL: two processes racing to create the key agree on the first one written.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(fd, 'wb') as f:
            f.write(key)
        return key
    return path.read_bytes()


def _digest(data: bytes) -> str:
    return hmac.new(_signing_key(), data, hashlib.sha256).hexdigest()


def _atomic_write(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that readers see the old file or the new, never half."""
    filepath = Path(filepath)
    filepath.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{filepath.name}.', suffix='.tmp', dir=filepath.parent)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def sign_checkpoint(filepath: Union[str, Path], data: Optional[bytes] = None) -> None:
    """Mark ``filepath`` as written by this user's own mmvl run.

    Args:
        filepath (str or Path): The checkpoint file.
        data (bytes, optional): Its content, if already in memory. Defaults to None (read it).
    """
    if data is None:
        data = Path(filepath).read_bytes()
    _atomic_write(_digest(data).encode(), f'{filepath}{SIGNATURE_SUFFIX}')


def is_trusted(filepath: Union[str, Path]) -> bool:
    """Whether ``filepath`` may be unpickled with ``weights_only=False``.

    True when its signature sidecar verifies under this user's key, or when the file (or a
    directory above it) is listed in the ``MMVL_TRUSTED_CHECKPOINTS`` environment variable
    (paths separated by ``os.pathsep``).
    """
    filepath = Path(filepath).resolve()
    for entry in filter(None, os.environ.get(TRUST_ENV, '').split(os.pathsep)):
        trusted = Path(entry).expanduser().resolve()
        if filepath == trusted or trusted in filepath.parents:
            return True
    sig = Path(f'{filepath}{SIGNATURE_SUFFIX}')
    if not sig.is_file():
        return False
    return hmac.compare_digest(sig.read_text().strip(), _digest(filepath.read_bytes()))


@register_backend('mmvl_local')
class AtomicLocalBackend(LocalBackend):
    """A local file backend whose writes are atomic and whose ``.pth`` files are signed.

    Use it for checkpoints with ``backend_args=dict(backend='mmvl_local')`` on mmengine's
    ``CheckpointHook``. Removing a file removes its signature too.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        _atomic_write(obj, filepath)
        if str(filepath).endswith('.pth'):
            sign_checkpoint(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        _atomic_write(obj.encode(encoding), filepath)

    def remove(self, filepath: Union[str, Path]) -> None:
        super().remove(filepath)
        sig = f'{filepath}{SIGNATURE_SUFFIX}'
        if osp.exists(sig):
            os.remove(sig)


class UntrustedCheckpointError(RuntimeError):
    """A checkpoint holds Python objects and was not written by this user's mmvl runs."""


def load_from_local(filename: str, map_location=None):
    """Load a local checkpoint, unpickling arbitrary objects only from trusted files.

    The safe loader (``weights_only=True``) is tried first; plain weight files from anywhere load
    through it. A file that needs the full unpickler loads only if :func:`is_trusted` holds.

    Args:
        filename (str): Local checkpoint path.
        map_location (str or callable, optional): As in :func:`torch.load`. Defaults to None.

    Returns:
        dict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as safe_error:
        if not is_trusted(filename):
            raise UntrustedCheckpointError(
                f'{filename} contains Python objects that the safe loader refuses, and it was '
                'not written by an mmvl run of this user (no valid signature). Unpickling it '
                'could run arbitrary code. If you trust the file, add its path (or its '
                f'directory) to the {TRUST_ENV} environment variable, or sign it with '
                f'`python tools/misc/trust_checkpoint.py {filename}`. Safe loader said: '
                f'{str(safe_error).splitlines()[0]}') from None
    return torch.load(filename, map_location=map_location, weights_only=False)


CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
