"""AppTest of the Live page where a browser camera is not possible (not localhost, not
HTTPS): it says why and offers what works instead."""

from __future__ import annotations

from tests.test_app_saved import app, no_exception, texts


def test_live_page_explains_why_there_is_no_camera_and_offers_the_workshop():
    at = app(page="app_pages/live.py")  # AppTest has no browser address: not localhost
    no_exception(at)
    assert at.title[0].value == "Live"
    message = texts(at)
    assert "The camera cannot start here" in message
    assert "localhost" in message and "HTTPS" in message
    assert "Workshop" in message
