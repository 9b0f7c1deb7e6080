"""Where the app keeps files: the data folder of gait.store.location
(`HIPDRIVE_DATA_DIR`, default `<repo>/data`, created 0700 on demand).

`<data>/sessions/` holds what is kept only while a browser session needs it (see
`ui.service`); `discard_session_file` deletes such a file and leaves any other path
(a saved analysis' video in the store) alone.
"""

from __future__ import annotations

from pathlib import Path

from gait.store.location import data_dir, private

REPO_DIR = Path(__file__).resolve().parents[1]
SESSIONS = "sessions"


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter (created if missing)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    private(path, 0o700)
    return path


def sub_dir(name: str) -> Path:
    return private_dir(data_dir() / name)


def sessions_root() -> Path:
    return sub_dir(SESSIONS)


def discard_session_file(path: Path | str | None) -> bool:
    """Delete `path` if it lies under `<data>/sessions/`; True if it did."""
    if path is None:
        return False
    path = Path(path)
    if not path.resolve().is_relative_to(sessions_root().resolve()):
        return False
    path.unlink(missing_ok=True)
    return True
