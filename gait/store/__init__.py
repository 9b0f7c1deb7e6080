"""Saved analyses (SQLite by default, PostgreSQL by URL): see `gait.store.analyses`."""

from gait.store.analyses import (
    Athlete,
    SavedAnalysis,
    SaveReceipt,
    Store,
    StoreError,
    history_path,
    share_path,
)

__all__ = ["Athlete", "SaveReceipt", "SavedAnalysis", "Store", "StoreError", "history_path",
           "share_path"]
