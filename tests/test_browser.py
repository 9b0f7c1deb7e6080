"""End-to-end in a real browser: Debian's Chromium driven by Playwright against a
running `streamlit run app.py` (DESIGN §2). Upload a rendered clip, wait for the
results, check that the charts are drawn and the annotated video really plays;
try the sample run; a bad file shows a friendly message. Screenshots (desktop and
phone width) are saved in test-artifacts/ for people to look at."""

from __future__ import annotations

import pytest

from synthetic.render_runner import make_clip
from tests.streamlit_server import (
    ROOT,
    new_page,
    no_exception,
    streamlit_server,
    video_plays,
)

ARTIFACTS = ROOT / "test-artifacts"
ANALYSIS_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("data")) as url:
        yield url


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path, _ = make_clip(tmp_path_factory.mktemp("clip"), fps=60, seconds=6.0, seed=8)
    return path


def _wait_for_results(page) -> None:
    page.wait_for_selector(".js-plotly-plot", timeout=ANALYSIS_TIMEOUT_MS)
    page.wait_for_selector("video", timeout=60_000)


def test_upload_shows_results_charts_and_playing_video(server, browser, clip):
    ARTIFACTS.mkdir(exist_ok=True)
    page, external = new_page(browser, 1280, 2600)
    page.goto(server)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clip))
    page.get_by_role("button", name="Analyze my clip").click()
    _wait_for_results(page)
    assert page.locator(".js-plotly-plot").count() >= 2
    assert video_plays(page)
    assert page.get_by_text("steps/min").first.is_visible()
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "results-desktop.png"), full_page=True)
    assert not external, f"requests left the machine: {external[:5]}"
    page.close()


def test_sample_run_at_phone_width(server, browser):
    page, external = new_page(browser, 390, 2400)
    page.goto(server)
    page.get_by_role("button", name="Try the sample run").click()
    _wait_for_results(page)
    assert page.locator(".js-plotly-plot").count() >= 2
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "results-phone.png"), full_page=True)
    assert not external, f"requests left the machine: {external[:5]}"
    page.close()


def test_bad_file_shows_a_friendly_message(server, browser, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("definitely not a video\n" * 50)
    page, _ = new_page(browser, 1280, 1600)
    page.goto(server)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(fake))
    page.get_by_role("button", name="Analyze my clip").click()
    alert = page.get_by_test_id("stAlert").filter(has_text="video")
    alert.first.wait_for(timeout=60_000)
    no_exception(page)
    page.screenshot(path=str(ARTIFACTS / "bad-file.png"), full_page=True)
    page.close()
