"""Saved analyses (SQLite by default, PostgreSQL by URL): see `gait.store.analyses`.

Every failure of the database or the kept-files folder is raised as a `StoreError`
(`gait.store.errors`). The errors are imported at once; `Store` and the rest
(SQLAlchemy, ~0.3 s) only when first used (PEP 562), so a command that does not save
never pays for the database.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from gait.store.errors import DatabaseUnavailable, FilesUnavailable, SchemaTooNew, StoreError

if TYPE_CHECKING:
    from gait.store.analyses import (
        Athlete,
        SavedAnalysis,
        SaveReceipt,
        Store,
        delete_path,
        history_path,
        share_path,
    )

_FROM_ANALYSES = ("Athlete", "SaveReceipt", "SavedAnalysis", "Store", "delete_path",
                  "history_path", "share_path")

__all__ = ["Athlete", "DatabaseUnavailable", "FilesUnavailable", "SaveReceipt", "SavedAnalysis",
           "SchemaTooNew", "Store", "StoreError", "delete_path", "history_path", "share_path"]


def __getattr__(name: str) -> object:
    if name in _FROM_ANALYSES:
        return getattr(importlib.import_module("gait.store.analyses"), name)
    raise AttributeError(f"module 'gait.store' has no attribute {name!r}")
