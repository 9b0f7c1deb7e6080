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
