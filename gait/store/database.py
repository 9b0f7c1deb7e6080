"""Engine set-up for the two supported databases.

SQLite (the embedded default): the file (and its -wal/-shm, which SQLite creates with
the file's permissions) readable by the app's user only (0600), `secure_delete` on
so deleted analyses are overwritten with zeros rather than left in free pages, WAL
journal so readers never wait for a writer, a 30 s busy timeout, foreign keys on,
and write transactions opened with
`BEGIN IMMEDIATE` so that concurrent writers queue instead of failing half-way
(Python's sqlite3 otherwise starts transactions lazily). PostgreSQL: the psycopg
driver, connections checked before use.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url

from gait.store.errors import database_errors_as_store_errors, file_errors_as_store_errors
from gait.store.location import private

WRITE_OPTION = "hipdrive_write"
SQLITE_BUSY_TIMEOUT_S = 30.0
PG_CONNECT_TIMEOUT_S = 10  # an unreachable server fails fast instead of hanging a page


def make_engine(url: str) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql+psycopg://…). Raises
    `DatabaseUnavailable` for a URL that cannot be used, `FilesUnavailable` when the
    SQLite file cannot be created."""
    with database_errors_as_store_errors(), file_errors_as_store_errors("the database's folder"):
        return _engine(url)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(make_url(url).database)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S,
                                                  "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})


def _private_sqlite_file(database: str | None) -> None:
    """Create the database file 0600 before SQLite does (it would use the umask), and
    tighten an existing one and its journal files."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists():
            private(each, 0o600)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    _enable_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch a new database file to WAL (persistent). The switch needs an exclusive
    lock and does not wait on the busy timeout, so processes opening a fresh file at
    the same moment retry it."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_on_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing write transaction (committed on exit, rolled back on error);
    a database error in it, or at commit, is raised as `DatabaseUnavailable`."""
    with database_errors_as_store_errors(), engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for reading (database errors: `DatabaseUnavailable`)."""
    with database_errors_as_store_errors(), engine.connect() as conn, conn.begin():
        yield conn
