"""Saved analyses in a real browser (Chromium + the real server): a share link opens
the results, still after a server restart, and the owner's link deletes it; the Squad page
stays locked without the passcode; hostile names stay inert (no script, no request
leaves the machine). Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from gait.store import Store
from synthetic.render_runner import make_clip
from tests.store_writers import small_report
from tests.streamlit_server import (
    ROOT,
    delete_through_the_link,
    free_port,
    new_page,
    no_exception,
    streamlit_server,
    video_plays,
)

ARTIFACTS = ROOT / "test-artifacts"
PASSCODE = "squad-passcode-2026"
HOSTILE = "<img src=x onerror=alert(1)> ![p](http://evil.example/p.png)"


@pytest.fixture
def saved(tmp_path):
    """A data folder with two saved analyses: one keeping a real H.264 video as its
    annotated video, one under a hostile squad name."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    video, _ = make_clip(tmp_path, fps=30, seconds=2.0, seed=1)
    store = Store(f"sqlite:///{data_dir / 'hipdrive.sqlite3'}", files_dir=data_dir / "files")
    report = small_report()
    plain = store.save(report, athlete_name="Ana", note="week 1", annotated_video=video)
    hostile = store.save(report, athlete_name=HOSTILE, squad=True, note="<b>bold</b>")
    store.close()
    return data_dir, plain, hostile


def open_shared(page, url: str, token: str) -> None:
    page.goto(f"{url}/?analysis={token}")
    page.get_by_text("Shared results").first.wait_for(timeout=60_000)


def test_share_link_survives_a_restart_and_its_owner_deletes_it(browser, saved):
    data_dir, plain, _ = saved
    token = plain.token
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(data_dir, port=port) as url:
        page, external = new_page(browser, 1280, 2600)
        open_shared(page, url, token)
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        assert video_plays(page)
        assert page.get_by_text("week 1").first.is_visible()
        no_exception(page)
        page.close()
    with streamlit_server(data_dir, port=port) as url:  # the same link after a restart
        page, external = new_page(browser, 1280, 2600)
        open_shared(page, url, token)
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "shared-link.png"), full_page=True)
        assert page.get_by_text("Delete this analysis").count() == 0  # the share link views
        delete_through_the_link(page, url, token, plain.delete_token)
        page.goto(f"{url}/?analysis={token}")
        page.get_by_text("Analysis not found").wait_for(timeout=30_000)
        no_exception(page)
        assert not external, f"requests left the machine: {external[:5]}"
        page.close()


def test_squad_page_needs_the_passcode_and_hostile_names_stay_inert(browser, saved):
    data_dir, _, hostile_receipt = saved
    hostile = hostile_receipt.token
    with streamlit_server(data_dir, env={"HIPDRIVE_COACH_PASSCODE": PASSCODE}) as url:
        page, external = new_page(browser, 1280, 1800)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/squad")
        passcode = page.get_by_label("Coach passcode")
        passcode.wait_for(timeout=60_000)
        # a deep link as the server's very first request still goes through app.py
        assert page.get_by_test_id("stSidebarNav").count() == 0
        assert page.get_by_test_id("stTopNavLinkContainer").count() >= 6
        assert page.get_by_test_id("stDataFrame").count() == 0
        passcode.fill("not the passcode")
        page.get_by_role("button", name="Unlock").click()
        page.get_by_text("That passcode is not right").wait_for(timeout=30_000)
        assert page.get_by_test_id("stDataFrame").count() == 0
        passcode.fill(PASSCODE)
        page.get_by_role("button", name="Unlock").click()
        page.get_by_test_id("stDataFrame").wait_for(timeout=30_000)
        assert page.get_by_text("/?invite=").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "squad.png"), full_page=True)

        open_shared(page, url, hostile)
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        runner = page.locator("p", has_text="Runner:").first
        assert "<img src=x onerror=alert(1)>" in runner.inner_text()  # shown, not run
        assert "<b>bold</b>" in runner.inner_text()
        assert page.locator("img[src='x']").count() == 0
        no_exception(page)

        page.goto(f"{url}/?athlete={hostile_receipt.athlete_token}")  # the history page
        heading = page.locator("h3", has_text="onerror").first
        heading.wait_for(timeout=60_000)
        assert "![p](http://evil.example/p.png)" in heading.inner_text()  # literal text
        assert page.locator("img[src='x']").count() == 0
        no_exception(page)
        assert not dialogs, dialogs
        assert not external, f"requests left the machine: {external[:5]}"
        page.close()
