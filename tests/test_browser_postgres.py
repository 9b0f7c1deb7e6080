"""A hosted deployment: two app processes sharing one PostgreSQL database (started by
the tests) and one data folder. An athlete uploads through the invite link on one
process; the share link opens on the other; the coach sees them on the other's Squad
page; a delete on one is seen by the other."""

from __future__ import annotations

import re

import pytest

from gait.store import Store
from synthetic.render_runner import make_clip
from tests.pg_server import create_database
from tests.streamlit_server import (
    BROWSER_ARGS,
    CHROMIUM,
    delete_through_the_link,
    new_page,
    no_exception,
    streamlit_server,
)

PASSCODE = "hosted-squad"


@pytest.fixture
def hosted(postgres_url, tmp_path):
    url = create_database(postgres_url)
    data_dir = tmp_path / "shared-data"
    data_dir.mkdir()
    env = {"HIPDRIVE_DATABASE_URL": url, "HIPDRIVE_COACH_PASSCODE": PASSCODE}
    with streamlit_server(data_dir, env=env) as first, streamlit_server(data_dir, env=env) \
            as second:
        yield url, data_dir, first, second


def test_two_app_processes_share_one_postgresql(hosted, tmp_path):
    from playwright.sync_api import sync_playwright

    url, data_dir, first, second = hosted
    store = Store(url, files_dir=data_dir / "files")
    invite = store.invite_token()
    clip, _ = make_clip(tmp_path, fps=60, seconds=6.0, seed=11)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        page, external = new_page(browser, 1280, 2400)
        page.goto(f"{first}/?invite={invite}")
        page.get_by_text("uploading into your coach's squad").wait_for(timeout=60_000)
        page.get_by_role("textbox", name="Your name (required)").fill("Gus")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(clip))
        page.get_by_role("button", name="Analyze my clip").click()
        link = page.locator("code", has_text="/?analysis=").first
        link.wait_for(timeout=240_000)
        token = re.search(r"analysis=([A-Za-z0-9_-]{43})", link.inner_text()).group(1)
        owner = page.locator("code", has_text="&delete=").first.inner_text()
        delete_token = re.search(r"&delete=([A-Za-z0-9_-]{43})", owner).group(1)
        no_exception(page)

        page.goto(f"{second}/?analysis={token}")  # the other process
        page.get_by_text("Shared results").first.wait_for(timeout=60_000)
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        assert page.locator("p", has_text="Runner:").first.inner_text().startswith(
            "Runner: Gus")

        page.goto(f"{second}/squad")
        page.get_by_label("Coach passcode").fill(PASSCODE)
        page.get_by_role("button", name="Unlock").click()
        page.get_by_test_id("stDataFrame").wait_for(timeout=30_000)
        assert list(store.squad()["athlete_name"]) == ["Gus"]

        delete_through_the_link(page, second, token, delete_token)
        page.goto(f"{first}/?analysis={token}")
        page.get_by_text("Analysis not found").wait_for(timeout=30_000)
        no_exception(page)
        assert not external, f"requests left the machine: {external[:5]}"
        browser.close()
    assert store.load(token) is None and store.squad().empty
    store.close()
