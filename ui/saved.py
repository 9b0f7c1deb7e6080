"""The app's side of saved analyses: the process-wide store, absolute links, the coach
passcode and the squad invite.

Access works by links, no accounts (see gait.store.analyses): `/?analysis=<token>`
opens one analysis read-only, `/?analysis=<token>&delete=<delete token>` (the owner's
link, shown once when saving) also lets its holder delete it, `/?athlete=<token>` an
athlete's history, `/?invite=<token>` uploads into the squad.

Coach pages (Squad; starting a workshop unless HIPDRIVE_OPEN_WORKSHOPS=1) need the
coach passcode from `HIPDRIVE_COACH_PASSCODE` or Streamlit secrets (`coach_passcode`):
at least MIN_PASSCODE_CHARS characters (a shorter one switches coach pages off, and is
logged), compared in constant time, wrong tries throttled and locked out for the whole
deployment in the database (gait.store.throttle).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import streamlit as st

from gait.store import Athlete, Store, StoreError
from gait.store.location import data_dir, database_url
from gait.store.throttle import Attempt, ThrottlePolicy, record_attempt
from gait.store.workshops import Workshop, find_workshop

logger = logging.getLogger(__name__)

COACH_KEY = "hipdrive_coach"  # session flag: passcode entered
INVITE_KEY = "hipdrive_invite"  # session: the invite token this visitor arrived with
SHARED_KEY = "hipdrive_shared"  # session: the share token this visitor arrived with
ATHLETE_KEY = "hipdrive_athlete"  # session: the history token this visitor arrived with
MY_ATHLETES_KEY = "hipdrive_my_athletes"  # session: {token: name} saved from this tab
WORKSHOP_KEY = "hipdrive_workshop"  # session: the workshop join token this visitor used
BOARD_KEY = "hipdrive_board"  # session: the workshop host token (the presenter)
BOARD_LANDING_KEY = "hipdrive_board_landing"  # session: opened through the board link
DELETE_KEY = "hipdrive_delete"  # session: the delete token of the owner's link
PAGE_PATHS = ("analyze", "results", "compare", "history", "squad", "workshop", "live",
              "method", "shared")  # url paths of app.py's pages
MIN_PASSCODE_CHARS = 8
OPEN_WORKSHOPS_ENV = "HIPDRIVE_OPEN_WORKSHOPS"


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
    """A link for other devices (the workshop QR code, share, history and invite links).
    The host often opens the app on `localhost` (the camera needs it), which other
    devices cannot reach: then the host becomes this machine's address on the local
    network (no packet is sent to find it). HIPDRIVE_PUBLIC_URL, when set, wins; a
    server that listens on a loopback address only keeps its local link
    (`only_this_computer` says so)."""
    link = absolute_link(path)
    parts = urlsplit(link)
    if (os.environ.get("HIPDRIVE_PUBLIC_URL") or parts.hostname not in LOOPBACK_HOSTS
            or listens_only_locally()):
        return link
    lan_ip = local_network_address()
    if lan_ip is None:
        return link
    netloc = lan_ip + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def only_this_computer(link: str) -> bool:
    """True when `link` points at a loopback host: no other device can open it."""
    return urlsplit(link).hostname in LOOPBACK_HOSTS


ONLY_THIS_COMPUTER = ("This link points at this computer (localhost), so other devices "
                      "cannot open it. To share it, whoever runs HipDrive starts it on a "
                      "network others can reach (same Wi-Fi, or a public address: README, "
                      "“Hosting for a squad”).")


def show_link(path: str) -> None:
    """A link for others (`room_link`) to copy, with a warning when it can only open on
    this computer."""
    link = room_link(path)
    st.code(link, language=None, wrap_lines=True)  # whole on a phone, not cut off
    if only_this_computer(link):
        st.caption(ONLY_THIS_COMPUTER)


def listens_only_locally() -> bool:
    """True when this server was started to listen on a loopback address only
    (`--server.address 127.0.0.1`): then no other device can open its links."""
    return (st.get_option("server.address") or "").strip("[]") in LOOPBACK_HOSTS


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
                       ("board", BOARD_KEY), ("delete", DELETE_KEY)):
        if param in params:
            st.session_state[key] = params[param]
    if "board" in params:  # the board page takes its key out of the address bar, so the
        st.session_state[BOARD_LANDING_KEY] = True  # app's address stays the board's


def remember_my_athlete(token: str, name: str) -> None:
    mine = dict(st.session_state.get(MY_ATHLETES_KEY, {}))
    mine[token] = name
    st.session_state[MY_ATHLETES_KEY] = mine


def my_athletes() -> dict[str, str]:
    return dict(st.session_state.get(MY_ATHLETES_KEY, {}))


def configured_passcode() -> str | None:
    """The passcode as configured (environment first, then Streamlit secrets), or None;
    it may be too short to use (see `coach_passcode`)."""
    configured = os.environ.get("HIPDRIVE_COACH_PASSCODE")
    if configured:
        return configured
    try:
        value = st.secrets.get("coach_passcode")
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        value = None
    return str(value) if value else None


def coach_passcode() -> str | None:
    """The passcode coach pages use, or None: unset, or shorter than MIN_PASSCODE_CHARS
    (then coach pages are off; `passcode_problem` says why)."""
    configured = configured_passcode()
    if configured is None or passcode_problem() is not None:
        return None
    return configured


def passcode_problem() -> str | None:
    """For the host: why the configured passcode is refused (too short), else None.
    Logged once per process and length, when first noticed."""
    configured = configured_passcode()
    if configured is None or len(configured) >= MIN_PASSCODE_CHARS:
        return None
    _log_short_passcode(len(configured))
    return (f"The coach passcode set on this server is too short ({len(configured)} "
            f"characters; at least {MIN_PASSCODE_CHARS} are needed), so coach pages are "
            "switched off. Whoever hosts HipDrive sets a longer one "
            "(`HIPDRIVE_COACH_PASSCODE`, or `coach_passcode` in `.streamlit/secrets.toml`) "
            "and restarts the app.")


@functools.cache
def _log_short_passcode(length: int) -> None:
    logger.error("HIPDRIVE_COACH_PASSCODE / coach_passcode has %d characters, fewer than "
                 "%d: coach pages are switched off until a longer one is set",
                 length, MIN_PASSCODE_CHARS)


def passcode_matches(entered: str, configured: str) -> bool:
    """Constant-time comparison (of digests, so the length leaks nothing either)."""
    digest = lambda text: hashlib.sha256(text.encode("utf-8")).digest()  # noqa: E731
    return hmac.compare_digest(digest(entered), digest(configured))


def unlock_coach(entered: str) -> Attempt:
    """Check a passcode try against the deployment-wide throttle (gait.store.throttle;
    raises `StoreError` when the database is unreachable: then nobody gets in).
    A try that matches during a lockout is refused too."""
    configured = coach_passcode()
    matches = configured is not None and passcode_matches(entered or "", configured)
    attempt = record_attempt(saved_store().engine, success=matches,
                             policy=ThrottlePolicy.from_env())
    if attempt.ok:
        st.session_state[COACH_KEY] = True
    return attempt


def is_coach() -> bool:
    return bool(st.session_state.get(COACH_KEY)) and coach_passcode() is not None


def lockout_message(locked_until: datetime) -> str:
    minutes = max(1, round((locked_until - datetime.now(UTC)).total_seconds() / 60.0))
    return (f"Too many wrong passcodes on this server: coach pages are locked for about "
            f"{minutes} min (until {locked_until:%H:%M} UTC), for everyone. Try again "
            "then; the host can end the lockout early (see the README, “Hosting”).")


def render_coach_login(form_key: str = "coach_login", *, input_key: str = "coach_passcode"
                       ) -> bool:
    """The passcode form of a coach page; True once this session is the coach. (The
    page itself explains a passcode that is not set or too short.)"""
    if is_coach():
        return True
    with st.form(form_key):
        entered = st.text_input("Coach passcode", type="password", key=input_key)
        if st.form_submit_button("Unlock", type="primary"):
            try:
                attempt = unlock_coach(entered)
            except StoreError:
                logger.exception("passcode check failed")
                st.error("The database is not reachable right now, so the passcode cannot "
                         "be checked; try again in a minute.", icon="⚠️")
                return False
            if attempt.ok:
                st.rerun()
            if attempt.locked:
                st.error(lockout_message(attempt.locked_until), icon="🔒")
            else:
                st.error(f"That passcode is not right ({attempt.tries_left} more "
                         f"tr{'y' if attempt.tries_left == 1 else 'ies'} before a lockout).",
                         icon="🔒")
    return False


def workshops_open() -> bool:
    """HIPDRIVE_OPEN_WORKSHOPS=1: anyone may start a workshop (a presenter's laptop);
    otherwise only the coach."""
    value = (os.environ.get(OPEN_WORKSHOPS_ENV) or "").strip().lower()
    return value in ("1", "true", "yes", "on")


def token_from_link(text: str | None) -> str | None:
    """The analysis token of a pasted share link (or of a bare token), else None."""
    text = (text or "").strip()
    if "analysis=" in text:
        found = parse_qs(urlsplit(text).query).get("analysis") or [None]
        return found[0]
    return text or None


def owner_delete_token(token: str) -> str | None:
    """The delete key this session arrived with, if it came with this analysis's link."""
    if st.session_state.get(SHARED_KEY) != token:
        return None
    return st.session_state.get(DELETE_KEY)


def linked_athlete() -> Athlete | None:
    """The athlete of the history link this tab opened, if it still exists."""
    token = st.session_state.get(ATHLETE_KEY)
    if not token:
        return None
    try:
        return saved_store().athlete(token)
    except StoreError:
        return None


def joined_workshop() -> Workshop | None:
    """The workshop whose join link this tab opened (open or closed), if any."""
    token = st.session_state.get(WORKSHOP_KEY)
    if not token:
        return None
    try:
        return find_workshop(saved_store(), join_token=token)
    except StoreError:
        return None


def invite_is_valid() -> bool:
    token = st.session_state.get(INVITE_KEY)
    if not token:
        return False
    try:
        return saved_store().is_invite(token)
    except StoreError:
        return False
