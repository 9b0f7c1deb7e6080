"""The live page in a real browser: Chromium's fake camera plays a rendered runner
clip (as a webcam would), WebRTC carries it to the server with no ICE servers (all
on this machine), and the page shows the skeleton video and strides and cadence
appearing live; "Record the last 15 s" then becomes a normal analysis. The page's own
frame rate and latency read-out is printed (see README, "Workshop mode", and
docs/accuracy.md, "Live mode")."""

from __future__ import annotations

import re

import pytest

from synthetic.fake_camera import write_y4m
from synthetic.render_runner import make_clip
from tests.streamlit_server import (
    BROWSER_ARGS,
    CHROMIUM,
    ROOT,
    new_page,
    no_exception,
    streamlit_server,
)

ARTIFACTS = ROOT / "test-artifacts"
FAKE_CAMERA_FPS = 15  # what this 2-core machine sustains with browser and server on it


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory):
    folder = tmp_path_factory.mktemp("camera")
    clip, run = make_clip(folder, fps=FAKE_CAMERA_FPS, seconds=12.0, seed=14, treadmill=True,
                          frame_size=(320, 240), body_height_px=170.0)  # light on the CPU
    true_cadence = 120.0 / run.strides["stride_time_s"].mean() if "stride_time_s" in \
        run.strides else 120.0 / (run.strides["end_s"] - run.strides["start_s"]).mean()
    return write_y4m(clip, folder / "camera.y4m", fps=FAKE_CAMERA_FPS), true_cadence


def metric_value(page, label: str) -> str:
    return page.locator("[data-testid=stMetric]", has_text=label).locator(
        "[data-testid=stMetricValue]").first.inner_text().strip()


def test_live_page_shows_strides_and_cadence_as_they_happen(tmp_path, fake_camera):
    from playwright.sync_api import sync_playwright

    fake_camera, true_cadence = fake_camera
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ARTIFACTS.mkdir(exist_ok=True)
    camera_args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                   f"--use-file-for-fake-video-capture={fake_camera}"]
    with streamlit_server(data_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS + camera_args)
        page, external = new_page(browser, 1600, 1600)
        page.goto(f"{url}/live")
        component = page.frame_locator("iframe[title*='webrtc']").first
        component.get_by_role("button", name="Start the camera").click(timeout=60_000)
        video = component.locator("video").first
        video.wait_for(timeout=60_000)
        page.wait_for_function(  # strides counted and the last near-leg stride shown
            "() => { const ms = [...document.querySelectorAll('[data-testid=stMetric]')];"
            " const v = l => { const m = ms.find(m => m.innerText.includes(l));"
            "   return m ? m.querySelector('[data-testid=stMetricValue]').innerText : ''; };"
            " return parseInt(v('Strides')) >= 4 && /^[0-9]+[.][0-9]°$/.test(v('Peak')); }",
            timeout=180_000)
        page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
        assert re.fullmatch(r"\d{2,3}", metric_value(page, "Cadence"))
        assert re.fullmatch(r"\d+\.\d°", metric_value(page, "Peak extension"))
        playing = component.locator("video").first.evaluate(
            "v => v.readyState >= 2 && v.videoWidth > 0 && !v.paused")
        assert playing
        read_out = page.get_by_text("camera frame → skeleton").first.inner_text()
        print(f"\nlive page read-out: {read_out}")
        no_exception(page)
        page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)

        # The fake camera plays the clip in about real time, so the live cadence must be
        # near the clip's true cadence. Not closer than ±15 %: with the browser, VP8 on
        # both sides and MediaPipe on 2 cores, the camera's pace and the dropped frames
        # vary with the load (−8 … +10 % over 12 runs here). The engine itself matches a
        # full analysis of the same frames to 1 % (tests/test_live.py); this test catches
        # a live page without figures, a wrong time base (×2, ×½) or a broken recording.
        page.wait_for_function(  # a full 15 s window, as a presenter would record
            "() => /([0-9]+) s ready to record/.test(document.body.innerText) &&"
            " parseInt(document.body.innerText.match(/([0-9]+) s ready to record/)[1]) >= 14",
            timeout=120_000)
        live_cadence = int(metric_value(page, "Cadence"))
        assert live_cadence == pytest.approx(true_cadence, rel=0.15)
        page.get_by_role("button", name="Record the last 15 s and analyse them").click()
        page.get_by_role("heading", name="Results").wait_for(timeout=300_000)
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        # "171 ± 2", or "171 (not reliable)" when the verdict says so
        full_cadence = int(re.match(r"\s*(\d+)", metric_value(page, "Cadence")).group(1))
        print(f"live cadence {live_cadence}, full analysis of the recording {full_cadence}")
        # the recording holds the frames the server kept up with (~13 of the camera's 15
        # per second here), far below the 60 frames/s the filming guide asks for
        assert full_cadence == pytest.approx(true_cadence, rel=0.15)
        page.locator("code", has_text="/?analysis=").first.wait_for(timeout=60_000)
        no_exception(page)
        assert not external, f"requests left the machine: {external[:5]}"
        browser.close()
