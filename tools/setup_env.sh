#!/usr/bin/env bash
# Create (or reuse) the mmvl environment: torch 2.14.1 + torchvision 0.29.1, mmcv 2.1.0 built from
# its sdist with compiled ops, the rest of the pinned stack, and mmvl itself (editable).
#
# Idempotent and cached outside the repository, so a fresh clone (as CI makes) reuses everything:
#   environment  $MMVL_CACHE/envs/py<ver>-<hash of requirements/>   (or $MMVL_VENV)
#   mmcv wheel   $MMVL_CACHE/wheels/mmcv-2.1.0-torch<ver>-py<ver>/  (pip's own cache would reuse a
#                wheel built against another torch, so mmvl keys its own)
# MMVL_CACHE defaults to ${XDG_CACHE_HOME:-~/.cache}/mmvl. The clone gets its own thin `.venv`
# layered on the cached environment, with this clone's source on the path (`source
# .venv/bin/activate` to use it by hand; `python -m pip install X` there installs into the clone).
#
# Usage: bash tools/setup_env.sh [--force]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MMVL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmvl}
PYTHON=${MMVL_PYTHON:-python3}
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

STEP="start"
step() { STEP="$1"; echo "[mmvl setup] $1" >&2; }
fail() {
  echo "[mmvl setup] FAILED at step: $STEP" >&2
  [[ -n "${1:-}" ]] && echo "[mmvl setup] reason: $1" >&2
  exit 1
}
trap 'fail "the command above exited with an error (see its output)"' ERR

# ---------------------------------------------------------------------------------------------
step "checking the Python interpreter ($PYTHON)"
command -v "$PYTHON" >/dev/null || fail "'$PYTHON' not found; set MMVL_PYTHON to a Python 3.11"
PYVER=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
if [[ "$PYVER" != "3.11" ]]; then
  echo "[mmvl setup] warning: Python $PYVER; the stack is pinned and tested on 3.11" >&2
fi

# The environment is keyed by everything that decides its contents.
HASH=$(cat "$ROOT"/requirements/*.txt "$ROOT"/tools/setup_env.version | sha256sum | cut -c1-12)
VENV=${MMVL_VENV:-$CACHE/envs/py${PYVER}-$HASH}
STAMP="$VENV/.mmvl-setup-complete"
mkdir -p "$CACHE"

# One setup at a time per cache (two clones setting up together would race on the same env).
exec 9>"$CACHE/.setup.lock"
if command -v flock >/dev/null; then
  step "waiting for the setup lock $CACHE/.setup.lock"
  flock 9
fi

if [[ $FORCE == 1 && -d "$VENV" ]]; then
  step "removing $VENV (--force)"
  rm -rf "$VENV"
fi

PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
# pip.conf on some machines lists local indexes that do not exist; drop that noise, keep errors.
pip_() { "${PIP[@]}" "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); }

if [[ ! -f "$STAMP" ]]; then
  step "creating the environment $VENV"
  [[ -x "$PY" ]] || "$PYTHON" -m venv "$VENV"

  step "installing build tools (requirements/build.txt)"
  pip_ install -q -r "$ROOT/requirements/build.txt"

  step "installing torch and torchvision (requirements/torch.txt; ~5 GB, a few minutes the first time)"
  pip_ install -q -r "$ROOT/requirements/torch.txt"
  TORCHVER=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')

  step "installing the pinned stack (requirements/runtime.txt, tests.txt, optional.txt)"
  pip_ install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" \
    -r "$ROOT/requirements/optional.txt"

  MMCV_VER=$(sed -n 's/^mmcv==\([0-9.]*\).*/\1/p' "$ROOT/requirements/mmcv.txt")
  # mmcv compiles CUDA ops when it sees a GPU at build time (or FORCE_CUDA=1): key by that too.
  OPS=$("$PY" -c 'import os, torch; print(f"cuda{torch.version.cuda}" if torch.cuda.is_available()
        or os.environ.get("FORCE_CUDA") == "1" else "cpu")')
  WHEELDIR="$CACHE/wheels/mmcv-${MMCV_VER}-torch${TORCHVER}-py${PYVER}-${OPS}"
  if ! ls "$WHEELDIR"/mmcv-*.whl >/dev/null 2>&1; then
    step "checking the C++ compiler for the mmcv build"
    CXX_BIN=${CXX:-g++}
    command -v "$CXX_BIN" >/dev/null || fail "no C++ compiler ($CXX_BIN); install g++ >= 11 (apt-get install g++)"
    echo 'int main() { return 0; }' | "$CXX_BIN" -std=c++20 -x c++ - -o /dev/null 2>/dev/null \
      || fail "$CXX_BIN cannot compile C++20, which torch ${TORCHVER}'s headers need; use g++ >= 11"
    step "building mmcv $MMCV_VER ($OPS ops) from the PyPI sdist (~9 min on 2 cores, once per torch version)"
    BUILD=$(mktemp -d)
    mkdir -p "$CACHE/logs"
    BUILD_LOG="$CACHE/logs/mmcv-${MMCV_VER}-torch${TORCHVER}-${OPS}.log"
    pip_ download -q --no-deps --no-binary :all: "mmcv==$MMCV_VER" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VER".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VER"
    # torch >= 2.14 headers need C++20; mmcv 2.1.0 asks for C++17.
    grep -q -- "-std=c++17" "$SRC/setup.py" || fail "mmcv setup.py no longer holds -std=c++17"
    sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    # No build isolation: an isolated build has no torch and silently produces mmcv without ops.
    # The full compiler output goes to the log; every 30 s a line says how far the build is.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} pip_ wheel -v --no-deps --no-build-isolation \
      -w "$BUILD/dist" "$SRC" > "$BUILD_LOG" 2>&1 &
    BUILD_PID=$!
    while kill -0 "$BUILD_PID" 2>/dev/null; do
      sleep 30
      DONE=$(grep -oE '^ *\[[0-9]+/[0-9]+\]' "$BUILD_LOG" | tail -n 1 | tr -d ' []' || true)
      echo "[mmvl setup]   ... compiled ${DONE:-0/?} source files" >&2
    done
    wait "$BUILD_PID" || true
    if ! ls "$BUILD"/dist/mmcv-*.whl >/dev/null 2>&1; then
      echo "[mmvl setup] last lines of the build log $BUILD_LOG:" >&2
      grep -E "error|Error|ERROR" "$BUILD_LOG" | tail -n 15 >&2 || true
      tail -n 25 "$BUILD_LOG" >&2
      fail "mmcv wheel was not produced; the full log is $BUILD_LOG"
    fi
    mkdir -p "$WHEELDIR"
    cp "$BUILD"/dist/mmcv-*.whl "$WHEELDIR/"
    rm -rf "$BUILD"
  else
    step "reusing the cached mmcv wheel in $WHEELDIR"
  fi
  step "installing mmcv from $WHEELDIR"
  pip_ install -q --no-deps --force-reinstall "$WHEELDIR"/mmcv-*.whl
  pip_ install -q addict yapf packaging Pillow pyyaml

  step "checking the compiled mmcv ops"
  "$PY" -c "from mmcv.ops import nms, roi_align" \
    || fail "mmcv was installed without its compiled ops; delete $WHEELDIR and rerun"
  touch "$STAMP"
else
  step "reusing the complete environment $VENV"
fi

# The cached environment holds the stack only. Each clone gets its own thin `.venv` that layers
# that environment (`site.addsitedir`, so its .pth files apply) and puts this clone's source on
# the path: an editable install that never points another clone's runs at this one.
if compgen -G "$VENV/lib/python$PYVER/site-packages/*mmvl*" >/dev/null; then
  step "removing an mmvl install from the shared environment (each clone links its own)"
  pip_ uninstall -q -y mmvl
fi
CLONE_VENV="$ROOT/.venv"
CLONE_SITE="$CLONE_VENV/lib/python$PYVER/site-packages"
STACK_SITE="$VENV/lib/python$PYVER/site-packages"
if [[ ! -f "$CLONE_SITE/mmvl-stack.pth" ]] || ! grep -qF "$STACK_SITE" "$CLONE_SITE/mmvl-stack.pth"; then
  step "creating the clone's environment $CLONE_VENV on top of $VENV"
  rm -rf "$CLONE_VENV"
  "$PYTHON" -m venv --without-pip "$CLONE_VENV"
  echo "import site; site.addsitedir('$STACK_SITE')" > "$CLONE_SITE/mmvl-stack.pth"
  echo "$ROOT" > "$CLONE_SITE/mmvl-source.pth"
fi

step "verifying the installation"
HERE=$(cd /tmp && "$CLONE_VENV/bin/python" -c \
  "from mmcv.ops import nms, roi_align; import mmdet, mmpretrain, mmvl, os; print(os.path.dirname(os.path.dirname(mmvl.__file__)))") \
  || fail "the environment does not import (see the error above); rerun with --force to rebuild it"
[[ "$HERE" == "$ROOT" ]] || fail "import mmvl finds $HERE, not this clone ($ROOT)"
step "ready: $CLONE_VENV (the stack from $VENV)"
