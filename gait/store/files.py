"""Video files kept with saved analyses, under `<data dir>/files/`.

Stored names are generated (`<32 hex>.<suffix>`), never taken from the user. A file
is written before the database transaction that references it and removed again if
that transaction fails; a crash in between leaves an unreferenced file, which
`sweep_orphans` removes once it is older than any save in flight could be. The
folder is 0700 and every file 0600: only the app's user can read them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from gait.store.errors import file_errors_as_store_errors
from gait.store.location import private

ORPHAN_AGE_S = 6 * 3600.0
SAFE_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv")


@dataclass(frozen=True)
class StoredFile:
    kind: str
    stored_name: str
    size_bytes: int
    sha256: str


class FileStore:
    """A flat folder of generated file names."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        with self._errors():
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            private(self.root, 0o700)

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        """OSError → `FilesUnavailable` (a `StoreError`) naming this folder."""
        return file_errors_as_store_errors(f"the kept-videos folder {self.root}")

    def path(self, stored_name: str) -> Path:
        """The path of a stored name (which must be one of ours: no separators)."""
        if not stored_name or Path(stored_name).name != stored_name or stored_name[0] == ".":
            raise ValueError(f"not a stored file name: {stored_name!r}")
        return self.root / stored_name

    def add(self, source: Path, *, kind: str) -> StoredFile:
        """Copy `source` in under a new generated name (atomic: temp file, then rename);
        `FilesUnavailable` if it cannot be."""
        with self._errors():
            return self._add(source, kind=kind)

    def _add(self, source: Path, *, kind: str) -> StoredFile:
        suffix = Path(source).suffix.lower()
        suffix = suffix if suffix in SAFE_SUFFIXES else ".bin"
        name = f"{uuid.uuid4().hex}{suffix}"
        tmp = self.root / f".{name}.tmp"
        digest = hashlib.sha256()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                for block in iter(lambda: src.read(1 << 20), b""):
                    digest.update(block)
                    dst.write(block)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, self.root / name)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredFile(kind=kind, stored_name=name,
                          size_bytes=(self.root / name).stat().st_size,
                          sha256=digest.hexdigest())

    def remove(self, stored_name: str) -> None:
        with contextlib.suppress(ValueError):
            self.path(stored_name).unlink(missing_ok=True)

    def sweep_orphans(self, referenced: set[str], *, older_than_s: float = ORPHAN_AGE_S) -> int:
        """Delete files no analysis references (left by a crash); returns how many."""
        now, removed = time.time(), 0
        for path in self.root.iterdir():
            if path.name in referenced or not path.is_file():
                continue
            with contextlib.suppress(OSError):  # another process may remove it first
                if now - path.stat().st_mtime > older_than_s:
                    path.unlink()
                    removed += 1
        return removed

