#!/usr/bin/env bash
# Set up the environment and run the whole test suite (lint included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The optional cluster backend (Ray) is tested too: add its dependency group.
export PATH="$HOME/.local/bin:$PATH" UV_PYTHON_DOWNLOADS=never   # where setup.sh may put uv
uv sync --frozen --compile-bytecode --group cluster --quiet
# System packages the tests need: Debian's Chromium for the browser tests (Playwright
# cannot download a browser here) and PostgreSQL, which the store tests start themselves.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    echo "The tests need: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
.venv/bin/python -m gait.pose_models install >/dev/null  # the heavy-model tests need it
export HIPDRIVE_REQUIRE_POSTGRES=1   # the PostgreSQL tests must run, not skip
export PATH="$HOME/.local/bin:$PATH"  # uv, when scripts/setup.sh had to install it (tests/test_install.py)
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
