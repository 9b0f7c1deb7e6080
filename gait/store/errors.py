"""Errors of the store. Every failure of the database or of the kept-files folder
leaves the store as a `StoreError`, so callers catch one type: `DatabaseUnavailable`
(the database could not be reached or refused; its message names the driver's first
line, for logs and the command line, not for a web page) and `FilesUnavailable` (the
kept-videos folder cannot be written) are raised by `gait.store.database` and
`gait.store.files`; other subclasses carry a message written for the user.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

CHECK_SETTINGS = "check HIPDRIVE_DATABASE_URL or HIPDRIVE_DATA_DIR"


class StoreError(Exception):
    """A save or lookup that cannot be done; the message says what to do."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer HipDrive."""


class DatabaseUnavailable(StoreError):
    """The database could not be reached or refused the operation; `reason` is the
    driver's first line."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the database cannot be used ({reason}); {CHECK_SETTINGS}.")
        self.reason = reason


class FilesUnavailable(StoreError):
    """The folder of kept videos cannot be read or written."""


@contextlib.contextmanager
def database_errors_as_store_errors() -> Iterator[None]:
    """Inside the block, SQLAlchemy's errors become `DatabaseUnavailable`."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(
            str(getattr(exc, "orig", None) or exc).splitlines()[0]) from exc


@contextlib.contextmanager
def file_errors_as_store_errors(what: str) -> Iterator[None]:
    """Inside the block, an OSError becomes `FilesUnavailable` saying that `what`
    (e.g. "the kept-videos folder /data/files") cannot be used."""
    try:
        yield
    except OSError as exc:
        raise FilesUnavailable(
            f"{what} cannot be used ({exc.strerror or exc}); check HIPDRIVE_DATA_DIR and "
            "free disk space.") from exc
