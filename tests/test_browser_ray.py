"""The app on a Ray cluster (HIPDRIVE_RAY_ADDRESS): a real `ray start --head` on
127.0.0.1 with worker processes, the real app (`streamlit run app.py`) and Debian's
Chromium. An upload is analysed by a Ray worker (not the web process) and shown with
its annotated video; the host's clip limits hold on the worker; a job over its time
budget is cancelled on the cluster."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synthetic.render_runner import make_clip
from tests.ray_cluster import ENV
from tests.streamlit_server import ROOT, new_page, no_exception, streamlit_server
from tests.test_browser_privacy import upload_and_analyse

ANALYSIS_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ray_clips")
    short = make_clip(folder, fps=30, seconds=5.0, seed=41, name="short")[0]
    long = make_clip(folder, fps=30, seconds=9.0, seed=42, name="long")[0]
    return short, long


def test_an_upload_is_analysed_on_the_cluster_with_the_hosts_limits(ray_head, browser, clips,
                                                                   tmp_path):
    short, long = clips
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {**ENV, "HIPDRIVE_RAY_ADDRESS": ray_head, "HIPDRIVE_MAX_CLIP_S": "7"}
    with streamlit_server(data_dir, env=env) as url:
        page, external = new_page(browser, 1280, 2000)
        page.goto(url)
        page.get_by_role("button", name="Analyze my clip").wait_for(timeout=60_000)
        upload_and_analyse(page, short)
        page.wait_for_selector(".js-plotly-plot", timeout=ANALYSIS_TIMEOUT_MS)
        page.wait_for_selector("video", timeout=60_000)
        no_exception(page)

        log = "\n".join(p.read_text() for p in data_dir.glob("server-*.log"))
        worker = re.search(r"analysed on the Ray cluster by [^:\s]+:(\d+)", log)
        assert worker, log[-3000:]
        cmdline = Path(f"/proc/{worker.group(1)}/cmdline")
        if cmdline.exists():  # a Ray worker process (still alive), not the web server
            assert b"streamlit" not in cmdline.read_bytes()

        # the host's 7 s limit is applied on the worker, whatever the node's environment
        page.goto(url)
        page.get_by_role("button", name="Analyze my clip").wait_for(timeout=60_000)
        upload_and_analyse(page, long)
        page.get_by_test_id("stAlert").filter(has_text="the limit here is 7 s").wait_for(
            timeout=ANALYSIS_TIMEOUT_MS)
        no_exception(page)
        assert not external


def test_a_job_over_its_budget_is_cancelled_on_the_cluster(ray_head, clips, tmp_path):
    """`RayAnalyses.run` from a driver process of its own (as the app's job thread runs
    it): a progress callback that raises (the app's time budget) cancels the Ray task."""
    short, _ = clips
    script = textwrap.dedent(f"""
        import json, time
        from gait.ray_jobs import RayAnalyses

        class Budget(Exception):
            pass

        started = time.monotonic()
        seen = []

        def progress(stage, fraction, eta_s):
            seen.append(stage)
            if time.monotonic() - started > 3.0:
                raise Budget()

        cluster = RayAnalyses({ray_head!r})
        try:
            cluster.run({str(short)!r}, options={{}}, with_video=True, key="k", progress=progress)
            outcome = "finished"
        except Budget:
            outcome = "stopped"
        stopped_s = time.monotonic() - started
        import ray

        # a task needing both of the cluster's CPUs runs only once the analysis let go
        whole = ray.remote(num_cpus=2)(lambda: "ran")
        ready, _ = ray.wait([whole.remote()], timeout=60)
        print(json.dumps({{"outcome": outcome, "stopped_s": stopped_s,
                          "cluster_free": bool(ready), "stages": sorted(set(seen))}}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={**os.environ, **ENV})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "stopped", result
    assert result["stopped_s"] < 30.0, result
    assert result["cluster_free"], result
