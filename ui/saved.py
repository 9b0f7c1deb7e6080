"""The app's side of saved analyses: the process-wide store, absolute links, the coach
passcode and the squad invite.

Access works by links, no accounts (see gait.store.analyses): `/?analysis=<token>`
opens one analysis read-only (and lets its holder delete it), `/?athlete=<token>`
an athlete's history, `/?invite=<token>` uploads into the squad. The Squad page needs
the coach passcode from `HIPDRIVE_COACH_PASSCODE` or Streamlit secrets
(`coach_passcode`), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from gait.store import Athlete, Store, StoreError
from gait.store.location import data_dir, database_url
from gait.store.workshops import Workshop, find_workshop

COACH_KEY = "hipdrive_coach"  # session flag: passcode entered
INVITE_KEY = "hipdrive_invite"  # session: the invite token this visitor arrived with
SHARED_KEY = "hipdrive_shared"  # session: the share token this visitor arrived with
ATHLETE_KEY = "hipdrive_athlete"  # session: the history token this visitor arrived with
MY_ATHLETES_KEY = "hipdrive_my_athletes"  # session: {token: name} saved from this tab
WORKSHOP_KEY = "hipdrive_workshop"  # session: the workshop join token this visitor used
BOARD_KEY = "hipdrive_board"  # session: the workshop host token (the presenter)
PAGE_PATHS = ("analyze", "results", "compare", "history", "squad", "workshop", "live",
              "method", "shared")  # url paths of app.py's pages
FAILED_DELAY_S = 1.0  # slows down guessing the passcode
# What a page catches around store calls: database errors, the data folder not being
# writable, and the store's own user-facing errors (e.g. a schema newer than the app).
STORE_ERRORS = (SQLAlchemyError, OSError, StoreError)


def saved_store() -> Store:
    """The process-wide store (HIPDRIVE_DATABASE_URL or SQLite in HIPDRIVE_DATA_DIR)."""
    return _open_store(database_url(), str(data_dir() / "files"))


@st.cache_resource(show_spinner=False)
def _open_store(url: str, files_dir: str) -> Store:
    """One store per configuration and process; files left behind by a crashed save are
    swept when it opens."""
    store = Store(url, files_dir=Path(files_dir))
    store.sweep_orphan_files()
    return store


def absolute_link(path: str) -> str:
    """`path` (e.g. "/?analysis=…") as a full link: HIPDRIVE_PUBLIC_URL if set (behind a
    proxy), else the address this browser used."""
    base = os.environ.get("HIPDRIVE_PUBLIC_URL") or ""
    if not base:
        try:
            base = st.context.url or ""
        except (AttributeError, RuntimeError):  # no browser session (tests, bare mode)
            base = ""
    base = base.split("?", 1)[0].rstrip("/")
    head, _, last = base.rpartition("/")
    if last in PAGE_PATHS and "://" in head:  # the address of a page, not of the app
        base = head
    return f"{base}{path}"


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def room_link(path: str) -> str:
    """A link for other devices in the room (the workshop QR code). The presenter opens
    the app on `localhost` (the camera needs it), which phones cannot reach: then the
    host becomes this machine's address on the local network (no packet is sent to
    find it). HIPDRIVE_PUBLIC_URL, when set, wins."""
    link = absolute_link(path)
    parts = urlsplit(link)
    if os.environ.get("HIPDRIVE_PUBLIC_URL") or parts.hostname not in LOOPBACK_HOSTS:
        return link
    lan_ip = local_network_address()
    if lan_ip is None:
        return link
    netloc = lan_ip + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def local_network_address() -> str | None:
    """This machine's address on its default route (a UDP socket's local end after
    connect(): nothing is sent), or None without a network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def remember_link_params() -> None:
    """Keep the tokens of the link this visitor opened for the whole session (the query
    string is dropped when they move between pages)."""
    params = st.query_params
    for param, key in (("invite", INVITE_KEY), ("analysis", SHARED_KEY),
                       ("athlete", ATHLETE_KEY), ("workshop", WORKSHOP_KEY),
                       ("board", BOARD_KEY)):
        if param in params:
            st.session_state[key] = params[param]


def remember_my_athlete(token: str, name: str) -> None:
    mine = dict(st.session_state.get(MY_ATHLETES_KEY, {}))
    mine[token] = name
    st.session_state[MY_ATHLETES_KEY] = mine


def my_athletes() -> dict[str, str]:
    return dict(st.session_state.get(MY_ATHLETES_KEY, {}))


def coach_passcode() -> str | None:
    """The configured passcode (environment first, then Streamlit secrets), or None."""
    configured = os.environ.get("HIPDRIVE_COACH_PASSCODE")
    if configured:
        return configured
    try:
        value = st.secrets.get("coach_passcode")
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        value = None
    return str(value) if value else None


def passcode_matches(entered: str, configured: str) -> bool:
    """Constant-time comparison (of digests, so the length leaks nothing either)."""
    digest = lambda text: hashlib.sha256(text.encode("utf-8")).digest()  # noqa: E731
    return hmac.compare_digest(digest(entered), digest(configured))


def unlock_coach(entered: str) -> bool:
    configured = coach_passcode()
    if configured and passcode_matches(entered, configured):
        st.session_state[COACH_KEY] = True
        return True
    time.sleep(FAILED_DELAY_S)
    return False


def is_coach() -> bool:
    return bool(st.session_state.get(COACH_KEY)) and coach_passcode() is not None


def linked_athlete() -> Athlete | None:
    """The athlete of the history link this tab opened, if it still exists."""
    token = st.session_state.get(ATHLETE_KEY)
    if not token:
        return None
    try:
        return saved_store().athlete(token)
    except STORE_ERRORS:
        return None


def joined_workshop() -> Workshop | None:
    """The workshop whose join link this tab opened (open or closed), if any."""
    token = st.session_state.get(WORKSHOP_KEY)
    if not token:
        return None
    try:
        return find_workshop(saved_store(), join_token=token)
    except STORE_ERRORS:
        return None


def invite_is_valid() -> bool:
    token = st.session_state.get(INVITE_KEY)
    if not token:
        return False
    try:
        return saved_store().is_invite(token)
    except STORE_ERRORS:
        return False
