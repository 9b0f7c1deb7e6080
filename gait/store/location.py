"""Where HipDrive keeps its data: the data folder and the database URL.

- `HIPDRIVE_DATA_DIR`: the data folder (saved videos, the SQLite file, caches).
  Default: `data/` in the repository checkout, else `~/.hipdrive`.
- `HIPDRIVE_DATABASE_URL`: a PostgreSQL URL (`postgresql://user:pw@host/db`) for a
  hosted deployment with several app processes. Default: SQLite in the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

SQLITE_FILE_NAME = "hipdrive.sqlite3"


def data_dir() -> Path:
    """The data folder, created if missing."""
    configured = os.environ.get("HIPDRIVE_DATA_DIR")
    if configured:
        path = Path(configured).expanduser()
    else:
        checkout = Path(__file__).resolve().parents[2]
        path = checkout / "data" if (checkout / "pyproject.toml").exists() else (
            Path.home() / ".hipdrive")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """The SQLAlchemy URL of the database (PostgreSQL URLs get the psycopg driver)."""
    url = (os.environ.get("HIPDRIVE_DATABASE_URL") or "").strip()
    if not url:
        return f"sqlite:///{data_dir() / SQLITE_FILE_NAME}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
