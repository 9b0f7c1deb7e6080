"""End-to-end in a real browser: Debian's Chromium driven by Playwright against a
running `streamlit run app.py` (DESIGN §2). Upload a rendered clip, wait for the
results, check that the charts are drawn and the annotated video really plays;
try the sample run; a bad file shows a friendly message. Screenshots (desktop and
phone width) are saved in test-artifacts/ for people to look at."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from synthetic.render_runner import make_clip

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
ANALYSIS_TIMEOUT_MS = 240_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("data")
    env = dict(os.environ, STREAMLIT_SERVER_HEADLESS="true",
               STREAMLIT_BROWSER_GATHER_USAGE_STATS="false", HIPDRIVE_DATA_DIR=str(data_dir))
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError((data_dir / "server.log").read_text()) from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path, _ = make_clip(tmp_path_factory.mktemp("clip"), fps=60, seconds=6.0, seed=8)
    return path


def _new_page(browser, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    external: list[str] = []
    page.on("request", lambda req: external.append(req.url)
            if not req.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    return page, external


def _wait_for_results(page) -> None:
    page.wait_for_selector(".js-plotly-plot", timeout=ANALYSIS_TIMEOUT_MS)
    page.wait_for_selector("video", timeout=60_000)


def _video_plays(page) -> bool:
    """True when the browser decoded the annotated video (metadata and a frame)."""
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v && v.readyState >= 2 && v.duration > 0 && v.videoWidth > 0; }",
        timeout=60_000)
    return page.evaluate("() => { const v = document.querySelector('video');"
                         " return v.error === null && v.videoWidth > 0; }")


def _no_exception(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert "Traceback" not in page.content()


def test_upload_shows_results_charts_and_playing_video(server, browser, clip):
    ARTIFACTS.mkdir(exist_ok=True)
    page, external = _new_page(browser, 1280, 2600)
    page.goto(server)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clip))
    page.get_by_role("button", name="Analyze my clip").click()
    _wait_for_results(page)
    assert page.locator(".js-plotly-plot").count() >= 2
    assert _video_plays(page)
    assert page.get_by_text("steps/min").first.is_visible()
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "results-desktop.png"), full_page=True)
    assert not external, f"requests left the machine: {external[:5]}"
    page.close()


def test_sample_run_at_phone_width(server, browser):
    page, external = _new_page(browser, 390, 2400)
    page.goto(server)
    page.get_by_role("button", name="Try the sample run").click()
    _wait_for_results(page)
    assert page.locator(".js-plotly-plot").count() >= 2
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "results-phone.png"), full_page=True)
    assert not external, f"requests left the machine: {external[:5]}"
    page.close()


def test_bad_file_shows_a_friendly_message(server, browser, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("definitely not a video\n" * 50)
    page, _ = _new_page(browser, 1280, 1600)
    page.goto(server)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(fake))
    page.get_by_role("button", name="Analyze my clip").click()
    alert = page.get_by_test_id("stAlert").filter(has_text="video")
    alert.first.wait_for(timeout=60_000)
    _no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "bad-file.png"), full_page=True)
    page.close()
