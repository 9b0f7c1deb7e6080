"""Run the real app (`streamlit run app.py`) for the browser tests, and the page
helpers they share."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(data_dir: Path, *, port: int | None = None,
                     env: dict[str, str] | None = None,
                     address: str = "127.0.0.1") -> Iterator[str]:
    """Start the app (listening on `address`; "0.0.0.0" for other devices) with its
    data in `data_dir`; yield its URL on 127.0.0.1 once healthy; stop it on exit."""
    port = port or free_port()
    full_env = dict(os.environ, STREAMLIT_SERVER_HEADLESS="true",
                    STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
                    HIPDRIVE_DATA_DIR=str(data_dir), **(env or {}))
    log_path = data_dir / f"server-{port}.log"
    with open(log_path, "a") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", address], cwd=ROOT, env=full_env, stdout=log,
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
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def new_page(browser, width: int, height: int, *, local: tuple[str, ...] = ()):
    """A page that records every request leaving 127.0.0.1 and the `local` origins
    (there must be none)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    external: list[str] = []
    allowed = ("http://127.0.0.1", "data:", "blob:", *local)
    page.on("request", lambda req: external.append(req.url)
            if not req.url.startswith(allowed) else None)
    return page, external


def no_exception(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert "Traceback" not in page.content()


def video_plays(page) -> bool:
    """True when the browser decoded the annotated video (metadata and a frame)."""
    page.wait_for_function(
        "() => { const v = document.querySelector('video');"
        " return v && v.readyState >= 2 && v.duration > 0 && v.videoWidth > 0; }",
        timeout=60_000)
    return page.evaluate("() => { const v = document.querySelector('video');"
                         " return v.error === null && v.videoWidth > 0; }")


def wait_until_idle(page, *, quiet_s: float = 1.0, timeout_s: float = 60.0) -> None:
    """Wait until the app's script has stopped running (Streamlit's own test hook,
    `stApp[data-test-script-state]`, reads "notRunning" for `quiet_s`), as a person
    would before the next click. A click that lands while a rerun is finishing can be
    dropped by Streamlit itself: a CI run once lost the Delete click that way."""
    idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    deadline = time.time() + timeout_s
    quiet_since = time.time()
    while time.time() - quiet_since < quiet_s:
        if idle.count() == 0:
            quiet_since = time.time()
        if time.time() > deadline:
            raise TimeoutError(f"the app was still running after {timeout_s:.0f} s")
        time.sleep(0.1)


def confirm_then_click(page, confirmation: str, button_name: str) -> None:
    """Tick the `confirmation` checkbox and click the button (exact name) straight
    after, as a quick user would: both sit in one form, so no rerun can swallow the
    click (`ui.confirm`)."""
    wait_until_idle(page)
    button = page.get_by_role("button", name=button_name, exact=True)
    assert not button.is_disabled()  # nothing to wait for after the tick
    page.get_by_text(confirmation).click()
    button.click(force=True)  # no waiting for the button: a disabled one drops the click


def delete_through_the_link(page, url: str, token: str, delete_token: str) -> None:
    """Open the owner's link (share token + delete token), confirm, delete; wait for the
    "deleted" message."""
    page.goto(f"{url}/?analysis={token}&delete={delete_token}")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    wait_until_idle(page)
    page.get_by_text("Delete this analysis").click()
    confirm_then_click(page, "Yes, delete it for good", "Delete")
    page.get_by_text("this link no longer works").wait_for(timeout=60_000)
