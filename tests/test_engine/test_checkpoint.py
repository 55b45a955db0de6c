import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from mmvl.engine.runner.checkpoint import (SIGNATURE_SUFFIX, TRUST_ENV, AtomicLocalBackend,
                                           UntrustedCheckpointError, is_trusted,
                                           load_from_local, sign_checkpoint)


def _resume_like_checkpoint():
    """What mmengine's Runner writes: objects the safe unpickler refuses."""
    return dict(
        meta=dict(epoch=1, iter=10, seed=np.int64(3)),
        state_dict=OrderedDict(w=torch.ones(2)),
        message_hub=dict(log_scalars=dict(loss=HistoryBuffer([1.0, 2.0], [1, 1]))))


def _write_with_backend(path):
    backend = get_file_backend(backend_args=dict(backend='mmvl_local'))
    assert isinstance(backend, AtomicLocalBackend)
    import io
    buf = io.BytesIO()
    torch.save(_resume_like_checkpoint(), buf)
    backend.put(buf.getvalue(), str(path))


def test_own_checkpoint_loads_through_mmengine(tmp_path):
    path = tmp_path / 'iter_10.pth'
    _write_with_backend(path)
    assert (tmp_path / f'iter_10.pth{SIGNATURE_SUFFIX}').is_file()
    ckpt = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['iter'] == 10
    assert isinstance(ckpt['message_hub']['log_scalars']['loss'], HistoryBuffer)


def test_foreign_pickle_is_refused(tmp_path):
    path = tmp_path / 'downloaded.pth'
    torch.save(_resume_like_checkpoint(), path)
    assert not is_trusted(path)
    with pytest.raises(UntrustedCheckpointError, match='downloaded.pth'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')


def test_tampered_file_loses_trust(tmp_path):
    path = tmp_path / 'iter_10.pth'
    _write_with_backend(path)
    assert is_trusted(path)
    with open(path, 'ab') as f:
        f.write(b'\0')
    assert not is_trusted(path)


def test_plain_weights_load_without_trust(tmp_path):
    path = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.zeros(3)}}, path)
    assert not is_trusted(path)
    assert torch.equal(load_from_local(str(path))['state_dict']['w'], torch.zeros(3))


def test_trust_by_environment_and_by_signing(tmp_path, monkeypatch):
    path = tmp_path / 'sub' / 'ckpt.pth'
    path.parent.mkdir()
    torch.save(_resume_like_checkpoint(), path)
    monkeypatch.setenv(TRUST_ENV, str(tmp_path))  # a directory above the file
    assert load_from_local(str(path))['meta']['iter'] == 10
    monkeypatch.delenv(TRUST_ENV)
    assert not is_trusted(path)
    sign_checkpoint(path)
    assert is_trusted(path)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_local(str(tmp_path / 'nope.pth'))


def test_interrupted_write_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'last_checkpoint'
    backend = AtomicLocalBackend()
    backend.put_text('iter_100.pth', path)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies between writing and renaming

    monkeypatch.setattr(os, 'replace', killed)
    with pytest.raises(KeyboardInterrupt):
        backend.put_text('iter_200.pth', path)
    assert path.read_text() == 'iter_100.pth'
    assert [p.name for p in tmp_path.iterdir()] == ['last_checkpoint']  # no temp file left


def test_remove_drops_signature(tmp_path):
    path = tmp_path / 'iter_1.pth'
    _write_with_backend(path)
    AtomicLocalBackend().remove(path)
    assert list(tmp_path.iterdir()) == []


def test_safe_loader_really_is_safe(tmp_path):
    """A pickle that would run code when unpickled is never executed for an unsigned file."""

    class Evil:

        def __reduce__(self):
            return (os.system, ('touch ' + str(tmp_path / 'pwned'), ))

    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        pickle.dump(Evil(), f)
    with pytest.raises(UntrustedCheckpointError):
        load_from_local(str(path))
    assert not (tmp_path / 'pwned').exists()
