"""tools/setup_env.sh: a failed step names itself and the reason (the happy path is every test
run's own setup, through `make test`)."""
import os
import subprocess

from mmvl.testing import REPO_ROOT


def run_setup(tmp_path, **env):
    return subprocess.run(['bash', 'tools/setup_env.sh'],
                          cwd=REPO_ROOT,
                          env=dict(os.environ, MMVL_CACHE=str(tmp_path / 'cache'), **env),
                          capture_output=True,
                          text=True,
                          timeout=120)


def test_missing_interpreter_stops_at_its_step(tmp_path):
    proc = run_setup(tmp_path, MMVL_PYTHON='/nonexistent/python3.11')
    assert proc.returncode == 1
    assert '[mmvl setup] FAILED at step: checking the Python interpreter' in proc.stderr
    assert "'/nonexistent/python3.11' not found" in proc.stderr
    assert not (tmp_path / 'cache' / 'envs').exists()  # nothing half-made
