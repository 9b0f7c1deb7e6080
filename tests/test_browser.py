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
    wait_until_idle,
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


STRIDE_CHART = "document.querySelector('.js-plotly-plot')"
PAGE_SCROLL = "() => document.querySelector('[data-testid=stMain]').scrollTop"


def test_a_swipe_over_a_chart_scrolls_the_page_on_a_phone(server, browser):
    """On a touch screen a swipe up over the stride chart panned the chart out of view
    (Streamlit makes a selectable chart "pan") and the page stayed put: it scrolls now,
    and the chart keeps its axes."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    page.goto(server)
    page.get_by_role("button", name="Try the sample run").tap()
    _wait_for_results(page)
    wait_until_idle(page, timeout_s=300)
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    box = plot.bounding_box()
    x_range = page.evaluate(f"() => {STRIDE_CHART}._fullLayout.xaxis.range")
    before = page.evaluate(PAGE_SCROLL)
    x, y = box["x"] + box["width"] / 2, min(box["y"] + 0.6 * box["height"], 800)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                              "touchPoints": [{"x": x, "y": y - 25 * step}]})
        page.wait_for_timeout(30)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(1500)
    assert page.evaluate(PAGE_SCROLL) > before + 100  # the page moved with the finger
    assert page.evaluate(f"() => {STRIDE_CHART}._fullLayout.xaxis.range") == x_range
    no_exception(page)
    context.close()


def test_a_click_on_a_chart_point_picks_that_stride(server, browser):
    """With a mouse the stride chart neither pans nor zooms, and a click on a point still
    picks that stride (the chart marks it)."""
    page, _ = new_page(browser, 1280, 1400)
    page.goto(server)
    page.get_by_role("button", name="Try the sample run").click()
    _wait_for_results(page)
    wait_until_idle(page, timeout_s=300)  # the annotated video is made after the figures
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    point = plot.locator("g.trace.scatter path.point").nth(6).bounding_box()
    x, y = point["x"] + point["width"] / 2, point["y"] + point["height"] / 2
    x_range = page.evaluate(f"() => {STRIDE_CHART}._fullLayout.xaxis.range")
    page.mouse.click(x, y)
    page.wait_for_function(f"() => {STRIDE_CHART}.data.some(t => t.name === 'picked stride')",
                           timeout=60_000)
    wait_until_idle(page)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 150, y + 60, steps=8)  # a drag: no pan
    page.mouse.up()
    assert page.evaluate(f"() => {STRIDE_CHART}._fullLayout.xaxis.range") == x_range
    no_exception(page)
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
