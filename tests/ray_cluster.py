"""A real local Ray head for the tests (`ray start --head` on 127.0.0.1 with worker
processes), as a club's cluster would run it. Ray ≥ 2.59 authenticates clients of a
cluster with a shared token: the head and every driver (`gait batch`, the app) get the
same one."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.streamlit_server import free_port

RAY = shutil.which("ray", path=os.path.dirname(sys.executable))
ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
       "RAY_AUTH_TOKEN": secrets.token_hex(32)}


def ray_head_address():
    """`ray start --head` on 127.0.0.1 with 2 CPUs: yields its address, then stops it
    (the body of the `ray_head` fixture in conftest.py)."""
    if RAY is None:
        pytest.fail("ray is not installed: the test command installs the `cluster` group")
    port = free_port()
    env = {**os.environ, **ENV}
    subprocess.run([RAY, "start", "--head", f"--port={port}",
                    "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                   check=True, env=env, capture_output=True, timeout=180)
    yield f"127.0.0.1:{port}"
    subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True, timeout=120)
