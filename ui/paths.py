"""Where the app keeps files: `HIPDRIVE_DATA_DIR`, default `<repo>/data` (created on demand)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The app's cache folder (annotated videos, the sample clip), created if missing."""
    path = Path(os.environ.get("HIPDRIVE_DATA_DIR") or REPO_DIR / "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
