"""Where HipDrive keeps its data: the data folder and the database URL.

- `HIPDRIVE_DATA_DIR`: the data folder (saved videos, the SQLite file, caches).
  Default: `data/` in the repository checkout, else `~/.hipdrive`. It is made (or
  tightened to) mode 0700 so that only the app's user can read what is in it.
- `HIPDRIVE_DATABASE_URL`: a PostgreSQL URL (`postgresql://user:pw@host/db`) for a
  hosted deployment with several app processes. Default: SQLite in the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from gait.store.errors import file_errors_as_store_errors

SQLITE_FILE_NAME = "hipdrive.sqlite3"


def data_dir() -> Path:
    """The data folder, created if missing, only its owner may enter (0700);
    `FilesUnavailable` if it cannot be."""
    configured = os.environ.get("HIPDRIVE_DATA_DIR")
    if configured:
        path = Path(configured).expanduser()
    else:
        checkout = Path(__file__).resolve().parents[2]
        path = checkout / "data" if (checkout / "pyproject.toml").exists() else (
            Path.home() / ".hipdrive")
    with file_errors_as_store_errors(f"the data folder {path}"):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        private(path, 0o700)
    return path


def private(path: Path, mode: int) -> None:
    """Tighten `path` to `mode` (0700 folders, 0600 files) if others may read it and
    it is ours; left alone otherwise (a folder shared on purpose by another user)."""
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        os.chmod(path, mode)


def database_url() -> str:
    """The SQLAlchemy URL of the database (PostgreSQL URLs get the psycopg driver)."""
    url = (os.environ.get("HIPDRIVE_DATABASE_URL") or "").strip()
    if not url:
        return f"sqlite:///{data_dir() / SQLITE_FILE_NAME}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
