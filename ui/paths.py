"""Where the app keeps files: the data folder of gait.store.location
(`HIPDRIVE_DATA_DIR`, default `<repo>/data`, created on demand)."""

from __future__ import annotations

from pathlib import Path

from gait.store.location import data_dir

REPO_DIR = Path(__file__).resolve().parents[1]


def sub_dir(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
