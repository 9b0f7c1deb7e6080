#!/usr/bin/env bash
# Create/refresh .venv/ at the repo root from the locked dependencies (uv.lock).
# Needs only Python 3.11 or 3.12 and access to PyPI; installs uv if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never   # use the machine's Python, never download one
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1" \
    || python3 -m pip install --quiet --user "uv>=0.5,<1"
  export PATH="$HOME/.local/bin:$PATH"
fi
PY=$(command -v python3.11 || command -v python3.12 || command -v python3)
uv sync --frozen --compile-bytecode --python "$PY" --quiet
# The optional heavy pose model (gait/pose_models.py: BlazePose heavy from the npm
# registry's pinned @mediapipe/pose, SHA-256 checked; `--pose-model heavy`). Without
# registry access the standard model still works, so a failure here is only a warning.
.venv/bin/python -m gait.pose_models install >/dev/null \
  || echo "warning: the heavy pose model could not be fetched; --pose-model heavy will say so" >&2
