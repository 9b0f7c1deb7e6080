"""Saved analyses (SQLite by default, PostgreSQL by URL): see `gait.store.analyses`."""

from gait.store.analyses import (
    Athlete,
    SavedAnalysis,
    SaveReceipt,
    Store,
    delete_path,
    history_path,
    share_path,
)
from gait.store.errors import SchemaTooNew, StoreError

__all__ = ["Athlete", "SaveReceipt", "SavedAnalysis", "SchemaTooNew", "Store", "StoreError",
           "delete_path", "history_path", "share_path"]
