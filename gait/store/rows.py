"""Row-level steps shared by the store's operations, each run inside the caller's
write transaction."""

from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from gait.store import schema as t
from gait.store.errors import StoreError


def delete_analysis_rows(conn: Connection, analysis_ids: list[int]) -> list[str]:
    """Inside the caller's write transaction: delete these analyses' rows, and each
    athlete left without analyses; returns the stored names of their kept files."""
    if not analysis_ids:
        return []
    athlete_ids = sorted(set(conn.scalars(select(t.analyses.c.athlete_id)
                                          .where(t.analyses.c.id.in_(analysis_ids)))))
    conn.execute(select(t.athletes.c.id).where(t.athletes.c.id.in_(athlete_ids))
                 .with_for_update())  # a save for these athletes waits, or we wait
    names = list(conn.scalars(select(t.files.c.stored_name)
                              .where(t.files.c.analysis_id.in_(analysis_ids))))
    for table in (t.workshop_entries, t.files, t.drills, t.frames, t.strides):
        conn.execute(delete(table).where(table.c.analysis_id.in_(analysis_ids)))
    conn.execute(delete(t.analyses).where(t.analyses.c.id.in_(analysis_ids)))
    still_used = set(conn.scalars(select(t.analyses.c.athlete_id)
                                  .where(t.analyses.c.athlete_id.in_(athlete_ids))))
    orphans = [a for a in athlete_ids if a not in still_used]
    if orphans:
        conn.execute(delete(t.athletes).where(t.athletes.c.id.in_(orphans)))
    return names


def enter_workshop(conn: Connection, workshop_id: int, analysis_id: int,
                   nickname: str) -> None:
    """Put an analysis on a workshop's board; the workshop must still be open (its row
    is locked so that closing it waits for this save, or this save sees it closed)."""
    closed = conn.execute(select(t.workshops.c.closed_at)
                          .where(t.workshops.c.id == workshop_id).with_for_update()).first()
    if closed is None or closed.closed_at is not None:
        raise StoreError("This workshop has ended: its results were deleted. Ask the "
                         "presenter for the new link, or save without it.")
    conn.execute(insert(t.workshop_entries).values(
        analysis_id=analysis_id, workshop_id=workshop_id, nickname=nickname))
