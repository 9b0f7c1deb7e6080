"""Workshops: a room's board of results. The presenter creates one and holds its
host token (`/?board=<host token>`: the board, closing and deleting); participants
join with its join token (`/?workshop=<join token>`: upload under a nickname). Closing
deletes every analysis the workshop collected, with their files, in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import insert, select, update

from gait.reference import SPEED_FROM_CADENCE_SOURCE
from gait.store import schema as t
from gait.store.analyses import (
    MAX_NAME_CHARS,
    Store,
    as_utc,
    clean_text,
    new_token,
    valid_token,
)
from gait.store.database import read_transaction, write_transaction
from gait.store.rows import delete_analysis_rows

BOARD_COLUMNS = ("token", "nickname", "created_at", "near_side",
                 "peak_thigh_extension_near_deg", "cadence_spm",
                 "reference_peak_thigh_extension_deg", "reference_cadence_spm", "speed_mps",
                 "verdict", "flags")


@dataclass(frozen=True)
class Workshop:
    id: int
    name: str
    join_token: str
    host_token: str
    created_at: datetime
    closed: bool


def _workshop(row) -> Workshop:
    return Workshop(id=row.id, name=row.name, join_token=row.join_token,
                    host_token=row.host_token, created_at=as_utc(row.created_at),
                    closed=row.closed_at is not None)


def create_workshop(store: Store, name: str | None) -> Workshop:
    values = {"name": clean_text(name, max_chars=MAX_NAME_CHARS) or "Workshop",
              "join_token": new_token(), "host_token": new_token(),
              "created_at": datetime.now(UTC)}
    with write_transaction(store.engine) as conn:
        new_id = conn.execute(insert(t.workshops).values(**values)).inserted_primary_key[0]
    return Workshop(id=new_id, closed=False, **values)


def find_workshop(store: Store, *, join_token: str | None = None,
                  host_token: str | None = None) -> Workshop | None:
    """The workshop of a join or host token (closed ones included), or None."""
    column, token = ((t.workshops.c.join_token, join_token) if join_token is not None
                     else (t.workshops.c.host_token, host_token))
    if not valid_token(token):
        return None
    with read_transaction(store.engine) as conn:
        row = conn.execute(select(t.workshops).where(column == token)).first()
    return None if row is None else _workshop(row)


def board(store: Store, workshop_id: int) -> pd.DataFrame:
    """One row per result on the workshop's board, oldest first (BOARD_COLUMNS); the
    near-leg figures, since each runner is filmed from one side."""
    query = (select(t.analyses, t.workshop_entries.c.nickname)
             .join(t.workshop_entries, t.workshop_entries.c.analysis_id == t.analyses.c.id)
             .where(t.workshop_entries.c.workshop_id == workshop_id)
             .order_by(t.analyses.c.created_at, t.analyses.c.id))
    with read_transaction(store.engine) as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["peak_thigh_extension_near_deg"] = row.get(
            f"peak_thigh_extension_{row['near_side']}_deg")
        row["created_at"] = as_utc(row["created_at"])
        summary = json.loads(row["summary_json"])
        reference = summary.get("reference") or {}
        row["reference_cadence_spm"] = (  # none when the speed was read off the cadence
            None if summary.get("speed_source") == SPEED_FROM_CADENCE_SOURCE
            else (reference.get("values") or {}).get("cadence_spm"))
        row["verdict"] = (summary.get("reliability") or {}).get("verdict")
        row["flags"] = json.loads(row.pop("flags_json") or "[]")  # verdict + quality ids
    return pd.DataFrame(rows, columns=list(BOARD_COLUMNS))


def close_workshop(store: Store, host_token: str) -> int:
    """Close the workshop and delete everything it collected (rows, kept files, the
    participants); returns how many analyses were deleted."""
    if not valid_token(host_token):
        return 0
    with write_transaction(store.engine) as conn:
        row = conn.execute(select(t.workshops.c.id).where(t.workshops.c.host_token
                                                           == host_token)
                           .with_for_update()).first()
        if row is None:
            return 0
        conn.execute(update(t.workshops).where(t.workshops.c.id == row.id)
                     .values(closed_at=datetime.now(UTC)))  # uploads in flight now fail
        ids = list(conn.scalars(select(t.workshop_entries.c.analysis_id)
                                .where(t.workshop_entries.c.workshop_id == row.id)))
        names = delete_analysis_rows(conn, ids)
    store.remove_files(names)
    return len(ids)
