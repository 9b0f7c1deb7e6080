"""How many Live cameras one server runs at once, and whether Live needs the coach.

Each running Live camera costs a MediaPipe instance and about a core, so a server runs at
most `HIPDRIVE_MAX_LIVE_SESSIONS` (default 2) at the same time; a camera counts while
frames arrive (`LiveCamera.is_streaming`). A visitor who only opens the page costs
nothing. `HIPDRIVE_LIVE_NEEDS_PASSCODE=1` puts the Live page behind the coach passcode
(hosted deployments; a presenter's own laptop leaves it open).
"""

from __future__ import annotations

import os
import threading
import weakref

import streamlit as st

from gait.live_camera import LiveCamera

MAX_LIVE_ENV = "HIPDRIVE_MAX_LIVE_SESSIONS"
NEEDS_PASSCODE_ENV = "HIPDRIVE_LIVE_NEEDS_PASSCODE"
DEFAULT_MAX_LIVE = 2


class LiveSlots:
    """The server's Live cameras (weakly held: a camera whose session is gone drops out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cameras: weakref.WeakSet[LiveCamera] = weakref.WeakSet()

    def register(self, camera: LiveCamera) -> None:
        with self._lock:
            self._cameras.add(camera)

    def streaming_elsewhere(self, camera: LiveCamera | None) -> int:
        """How many cameras other than `camera` are streaming now."""
        with self._lock:
            others = [c for c in self._cameras if c is not camera]
        return sum(c.is_streaming() for c in others)


@st.cache_resource(show_spinner=False)
def live_slots() -> LiveSlots:
    """The process-wide registry."""
    return LiveSlots()


def max_live_sessions() -> int:
    """HIPDRIVE_MAX_LIVE_SESSIONS as a positive whole number (else the default)."""
    text = (os.environ.get(MAX_LIVE_ENV) or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_MAX_LIVE


def live_needs_passcode() -> bool:
    return (os.environ.get(NEEDS_PASSCODE_ENV) or "").strip().lower() in ("1", "true", "yes")
