"""Passcode tries, throttled and locked out for the whole deployment.

The count lives in the database (table `passcode_throttle`, one row per scope), so
every browser session, app process and server sharing the database sees the same
count: N sessions cannot guess N times as fast. Each try is one write transaction that
locks the scope's row (SELECT … FOR UPDATE on PostgreSQL, SQLite's write lock), so
concurrent tries are counted one after another.

Policy (`ThrottlePolicy.from_env`): after `max_failures` wrong tries within
`window_s` of the first, no try is checked for `lockout_s` — not even the right one.
The scope is the whole deployment, not a client: behind a reverse proxy the app cannot
trust a client's address. The price: someone guessing also locks the coach out until
the lockout ends (`clear_lockout` ends it early). Failed tries and lockouts are logged
(never the passcode tried).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from gait.store import schema as t
from gait.store.database import write_transaction

logger = logging.getLogger(__name__)
COACH_SCOPE = "coach"
ENV_MAX_FAILURES = "HIPDRIVE_PASSCODE_MAX_FAILURES"
ENV_WINDOW_MIN = "HIPDRIVE_PASSCODE_WINDOW_MIN"
ENV_LOCKOUT_MIN = "HIPDRIVE_PASSCODE_LOCKOUT_MIN"


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    window_s: float = 15 * 60.0
    lockout_s: float = 15 * 60.0

    @classmethod
    def from_env(cls) -> ThrottlePolicy:
        """The policy set by HIPDRIVE_PASSCODE_MAX_FAILURES (tries, ≥ 1),
        HIPDRIVE_PASSCODE_WINDOW_MIN and HIPDRIVE_PASSCODE_LOCKOUT_MIN (minutes, ≥ 0);
        an unset or invalid value keeps the default (an invalid one is logged)."""
        default = cls()
        return cls(
            max_failures=int(_env_number(ENV_MAX_FAILURES, default.max_failures, minimum=1,
                                         integer=True)),
            window_s=60.0 * _env_number(ENV_WINDOW_MIN, default.window_s / 60.0, minimum=0),
            lockout_s=60.0 * _env_number(ENV_LOCKOUT_MIN, default.lockout_s / 60.0,
                                         minimum=0))


def _env_number(name: str, default: float, *, minimum: float, integer: bool = False
                ) -> float:
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or not value >= minimum or value == float("inf"):
        logger.warning("%s=%r is not a number ≥ %s; using %s", name, raw, minimum, default)
        return default
    return value


@dataclass(frozen=True)
class Attempt:
    """The outcome of one passcode try. `locked_until` (UTC) is set while locked out,
    including for a try refused because of an earlier lockout."""

    ok: bool
    locked_until: datetime | None = None
    tries_left: int | None = None  # before the lockout (wrong tries only)

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def _as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they were stored as UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_attempt(engine: Engine, *, success: bool, policy: ThrottlePolicy,
                   scope: str = COACH_SCOPE, now: datetime | None = None) -> Attempt:
    """Count one try whose passcode did (`success`) or did not match, and say whether it
    is let in: a matching try during a lockout is refused too. `now` (UTC) is for
    tests."""
    now = now or datetime.now(UTC)
    table = t.passcode_throttle
    with write_transaction(engine) as conn:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(dialect.insert(table).values(scope=scope, failures=0)
                     .on_conflict_do_nothing(index_elements=["scope"]))
        row = conn.execute(select(table).where(table.c.scope == scope)
                           .with_for_update()).one()
        locked_until = _as_utc(row.locked_until)
        if locked_until is not None and now < locked_until:
            logger.warning("%s passcode: try refused during the lockout (until %s UTC)",
                           scope, f"{locked_until:%Y-%m-%d %H:%M:%S}")
            return Attempt(ok=False, locked_until=locked_until, tries_left=0)
        started = _as_utc(row.window_started_at)
        failures = row.failures
        if started is None or now - started >= timedelta(seconds=policy.window_s):
            failures, started = 0, now
        changes: dict
        if success:
            changes = {"failures": 0, "window_started_at": None, "locked_until": None}
            result = Attempt(ok=True)
            if failures:
                logger.info("%s passcode: accepted after %d wrong tries", scope, failures)
        elif failures + 1 >= policy.max_failures:
            until = now + timedelta(seconds=policy.lockout_s)
            changes = {"failures": 0, "window_started_at": None, "locked_until": until}
            result = Attempt(ok=False, locked_until=until, tries_left=0)
            logger.warning("%s passcode: wrong try %d of %d; locked out for %.0f min "
                           "(until %s UTC)", scope, failures + 1, policy.max_failures,
                           policy.lockout_s / 60.0, f"{until:%Y-%m-%d %H:%M:%S}")
        else:
            changes = {"failures": failures + 1, "window_started_at": started,
                       "locked_until": None}
            result = Attempt(ok=False, tries_left=policy.max_failures - failures - 1)
            logger.warning("%s passcode: wrong try %d of %d allowed within %.0f min",
                           scope, failures + 1, policy.max_failures, policy.window_s / 60.0)
        conn.execute(update(table).where(table.c.scope == scope).values(**changes))
    return result


def clear_lockout(engine: Engine, *, scope: str = COACH_SCOPE) -> None:
    """End a lockout and forget the wrong tries (for the host, e.g. from a shell:
    `clear_lockout(Store.open_default().engine)`)."""
    table = t.passcode_throttle
    with write_transaction(engine) as conn:
        conn.execute(update(table).where(table.c.scope == scope)
                     .values(failures=0, window_started_at=None, locked_until=None))
    logger.info("%s passcode: lockout cleared by the host", scope)
