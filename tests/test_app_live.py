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


def test_live_can_be_put_behind_the_coach_passcode(monkeypatch):
    monkeypatch.setenv("HIPDRIVE_LIVE_NEEDS_PASSCODE", "1")
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", "squad-passcode-1")
    at = app(page="app_pages/live.py")
    no_exception(at)
    assert "for the coach" in texts(at)
    assert "The camera cannot start here" not in texts(at)  # nothing past the gate ran
    assert at.text_input(key="live_passcode") is not None


def test_live_stays_closed_without_a_usable_passcode(monkeypatch):
    monkeypatch.setenv("HIPDRIVE_LIVE_NEEDS_PASSCODE", "1")
    monkeypatch.setenv("HIPDRIVE_COACH_PASSCODE", "short")
    at = app(page="app_pages/live.py")
    no_exception(at)
    assert "Live stays closed" in texts(at)


def test_live_says_busy_when_every_camera_slot_is_streaming(monkeypatch):
    from gait.live_camera import LiveCamera
    from ui.live_slots import live_slots

    class Streaming(LiveCamera):
        def is_streaming(self, *, within_s: float = 5.0) -> bool:
            return True

    monkeypatch.setenv("HIPDRIVE_MAX_LIVE_SESSIONS", "1")
    busy = Streaming()
    live_slots().register(busy)
    at = app(page="app_pages/live.py")
    no_exception(at)
    assert "The live camera is busy" in texts(at)
    del busy  # its session ends: the slot is free again
    import gc

    gc.collect()
    at = app(page="app_pages/live.py")
    assert "The live camera is busy" not in texts(at)


def _on_localhost(monkeypatch) -> None:
    """As if the page were opened at http://localhost:8501/live (AppTest has no browser
    address, so the camera part of the page is otherwise never reached). AppTest has no
    server runtime either: streamlit-webrtc, which looks up the session's run count there,
    is told there is none (it then skips its stale-state check)."""
    from streamlit.runtime.context import ContextProxy

    monkeypatch.setattr(ContextProxy, "url",
                        property(lambda self: "http://localhost:8501/live"))
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)


def test_record_is_disabled_until_the_camera_plays(monkeypatch):
    from streamlit.testing.v1 import AppTest
    from streamlit_webrtc.component import WebRtcStreamerContext, WebRtcStreamerState

    from tests.test_app_saved import APP

    _on_localhost(monkeypatch)
    at = app(page="app_pages/live.py")
    no_exception(at)
    assert "The camera cannot start here" not in texts(at)
    record = at.button(key="live_record")
    assert record.disabled  # the camera has not started: nothing to record
    assert "Start the camera first" in record.help

    # the browser says the stream plays (the streamer's state, kept under its key)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["live"] = WebRtcStreamerContext(
        worker=None, state=WebRtcStreamerState(playing=True, signalling=False))
    at.switch_page("app_pages/live.py").run()
    no_exception(at)
    record = at.button(key="live_record")
    assert not record.disabled
    assert not record.help
