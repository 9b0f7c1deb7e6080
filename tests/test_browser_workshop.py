"""A workshop in real browsers: the presenter starts it and shows the join QR code;
three participants on their own "phones" (browser contexts) upload at the same time
under nicknames; the board, left open and never reloaded, shows all three; closing
deletes everything. Screenshots go to test-artifacts/."""

from __future__ import annotations

import contextlib
import re
import threading

import pytest

from gait.store import Store
from synthetic.render_runner import make_clip
from tests.streamlit_server import (
    BROWSER_ARGS,
    CHROMIUM,
    ROOT,
    confirm_then_click,
    new_page,
    no_exception,
    streamlit_server,
)
from ui.saved import local_network_address

ARTIFACTS = ROOT / "test-artifacts"
NICKNAMES = ("Ada", "Bea <b>", "Cy")


@pytest.fixture
def clips(tmp_path):
    return [make_clip(tmp_path, fps=60, seconds=5.0, seed=20 + i, name=f"p{i}.mp4")[0]
            for i in range(len(NICKNAMES))]


def participant_upload(join_link: str, nickname: str, clip, errors: list) -> None:
    """One phone: its own Playwright and browser (Playwright is not thread-safe)."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            origin = join_link.split("/?", 1)[0]
            page, external = new_page(browser, 390, 1800, local=(origin,))
            page.goto(join_link)  # exactly what the QR code says
            page.get_by_text("You are in the workshop").wait_for(timeout=60_000)
            page.get_by_role("textbox", name="Nickname (required)").fill(nickname)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clip))
            page.get_by_role("button", name="Analyze my clip").click()
            page.locator("code", has_text="/?analysis=").first.wait_for(timeout=300_000)
            no_exception(page)
            assert not external, external[:5]
            browser.close()
    except Exception as exc:  # noqa: BLE001 — reported to the main thread below
        errors.append(f"{nickname}: {exc!r}")


def test_participants_upload_at_once_and_the_board_shows_them(tmp_path, clips):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ARTIFACTS.mkdir(exist_ok=True)
    # listening on the network, as for phones in the room
    with streamlit_server(data_dir, address="0.0.0.0", env={"HIPDRIVE_OPEN_WORKSHOPS": "1"}
                          ) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        board, external = new_page(browser, 1600, 2400)
        board.goto(f"{url}/workshop")
        board.get_by_role("textbox", name="Workshop name").fill("Club night")
        board.get_by_role("button", name="Start a workshop").click()
        board.get_by_test_id("join-qr").locator("svg").wait_for(timeout=60_000)
        board.get_by_text("Waiting for the first result").wait_for(timeout=30_000)
        join_code = board.locator("code", has_text="/?workshop=").first
        join = join_code.inner_text().strip()
        # readable from the back of the room (Streamlit's code blocks are 14 px)
        assert float(join_code.evaluate("e => getComputedStyle(e).fontSize")[:-2]) >= 20
        # the projected address bar does not show the host's key; its private link,
        # opened in another tab, reopens the board and leaves the address bar clean too
        assert "board=" not in board.url
        board.get_by_text("Reopen this board later").click()
        private = board.locator("code", has_text="/?board=").first.inner_text().strip()
        assert private.startswith(f"{url}/?board=")
        again, _ = new_page(browser, 1200, 1600)
        again.goto(private)
        again.get_by_text("Waiting for the first result").wait_for(timeout=60_000)
        again.wait_for_function("() => !location.search.includes('board=')", timeout=10_000)
        again.get_by_text("Close the workshop").click()
        again.get_by_text("Yes, close it and delete everything").click()  # a rerun
        again.get_by_role("button", name="Close and delete").wait_for(timeout=30_000)
        assert again.get_by_text("Club night").count() >= 1
        again.close()
        port = url.rsplit(":", 1)[1]
        # the presenter is on 127.0.0.1; phones get this machine's network address
        lan = local_network_address()
        host = re.escape(lan) if lan else r"127\.0\.0\.1"
        assert re.fullmatch(rf"http://{host}:{port}/\?workshop=[A-Za-z0-9_-]{{43}}", join)

        errors: list[str] = []
        phones = [threading.Thread(target=participant_upload,
                                   args=(join, n, c, errors))
                  for n, c in zip(NICKNAMES, clips, strict=True)]
        for phone in phones:
            phone.start()
        for phone in phones:
            phone.join(timeout=600)
        assert not errors, errors

        # the board was never reloaded: it updates on its own
        board.get_by_text("Runners").first.wait_for(timeout=30_000)
        board.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
            ".some(e => e.innerText.trim() === '3')", timeout=30_000)
        # the chart is drawn after the count: wait until it shows every runner, then check
        with contextlib.suppress(PlaywrightTimeout):  # the assertions below say what is missing
            board.wait_for_function(
                "names => { const chart = document.querySelector('.js-plotly-plot');"
                " const text = chart ? chart.innerText : '';"
                " return names.every(name => text.includes(name)); }",
                arg=list(NICKNAMES), timeout=30_000)
        chart_text = board.locator(".js-plotly-plot").first.inner_text()
        for nickname in NICKNAMES:
            assert nickname in chart_text  # "<b>" shown as text, not as markup
        assert board.locator(".js-plotly-plot b").count() == 0
        no_exception(board)
        board.screenshot(path=str(ARTIFACTS / "workshop-board.png"), full_page=True)

        board.get_by_text("Close the workshop").click()
        confirm_then_click(board, "Yes, close it and delete everything", "Close and delete")
        board.get_by_text("is closed and everything it collected was deleted").wait_for(
            timeout=30_000)
        assert not external, f"requests left the machine: {external[:5]}"
        browser.close()
    store = Store(f"sqlite:///{data_dir / 'hipdrive.sqlite3'}", files_dir=data_dir / "files")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM analyses").scalar() == 0
    store.close()
