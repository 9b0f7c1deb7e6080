"""Database tables and migrations (SQLAlchemy Core; the same schema on SQLite and
PostgreSQL).

Every user-visible figure is stored with its unit in the column name. Times are UTC.
`migrate` brings any database to the newest schema version, once, even when several
app processes start at the same moment (a PostgreSQL advisory lock / SQLite's write
lock serialises them). Add a migration by appending to MIGRATIONS; never edit one that
has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from gait.metric_catalogue import PER_STRIDE, STRIDE_TIMES
from gait.store.errors import SchemaTooNew

metadata = MetaData()
TOKEN_CHARS = 43  # secrets.token_urlsafe(32): 256 bits

schema_version = Table(
    "hipdrive_schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

athletes = Table(
    "athletes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(TOKEN_CHARS), nullable=False, unique=True),  # history link
    Column("name", String(80), nullable=False),  # as typed (escaped wherever shown)
    Column("squad_key", String(80), unique=True),  # normalised name; NULL: not in the squad
    Column("created_at", DateTime(timezone=True), nullable=False),
)

analyses = Table(
    "analyses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(TOKEN_CHARS), nullable=False, unique=True),  # share link
    Column("athlete_id", Integer, ForeignKey("athletes.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("source_name", String(255)),  # the uploader's file name, display only
    Column("app_version", String(32), nullable=False),
    Column("options_json", Text, nullable=False),
    Column("summary_json", Text, nullable=False),
    Column("events_json", Text, nullable=False),
    Column("stride_columns_json", Text, nullable=False),  # column order of the stride table
    Column("speed_mps", Float),
    Column("cadence_spm", Float),
    Column("near_side", String(5), nullable=False),
    Column("n_strides", Integer, nullable=False),
    Column("peak_thigh_extension_left_deg", Float),  # per-side stride medians
    Column("peak_thigh_extension_right_deg", Float),
    Column("thigh_extension_left_minus_right_deg", Float),
    Column("reference_peak_thigh_extension_deg", Float),
    Column("flags_json", Text, nullable=False),  # quality flag codes
    # SHA-256 (hex) of the owner's delete token (v3); NULL: saved before delete links,
    # deletable only by the host (gait.store.analyses.Store.delete_by_host)
    Column("delete_hash", String(64)),
)

STRIDE_COLUMNS = (*STRIDE_TIMES, *PER_STRIDE)  # gait.metric_catalogue

strides = Table(
    "strides", metadata,
    Column("analysis_id", Integer, ForeignKey("analyses.id", ondelete="CASCADE"),
           primary_key=True),
    Column("side", String(5), primary_key=True),
    Column("stride", Integer, primary_key=True),
    Column("position", Integer, nullable=False),  # row order in the stride table
    *(Column(name, Float) for name in STRIDE_COLUMNS),
    Column("extra_json", Text, nullable=False, default="{}"),  # any further stride columns
)

frames = Table(
    "frames", metadata,  # per-frame landmarks and angles, one compressed block
    Column("analysis_id", Integer, ForeignKey("analyses.id", ondelete="CASCADE"),
           primary_key=True),
    Column("format", String(16), nullable=False),
    Column("n_frames", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

drills = Table(
    "drills", metadata,
    Column("analysis_id", Integer, ForeignKey("analyses.id", ondelete="CASCADE"),
           primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("drill_id", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("finding", Text, nullable=False),
    Column("why", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("evidence_grade", String(64), nullable=False),
    Column("dosage", Text, nullable=False),
)

files = Table(
    "files", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("analysis_id", Integer, ForeignKey("analyses.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # "raw_video" | "annotated_video"
    Column("stored_name", String(64), nullable=False, unique=True),  # generated, never user's
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kept_by_choice", Boolean, nullable=False, default=True),
)


workshops = Table(
    "workshops", metadata,  # a live workshop's room: participants join with join_token
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("join_token", String(TOKEN_CHARS), nullable=False, unique=True),
    Column("host_token", String(TOKEN_CHARS), nullable=False, unique=True),  # the board
    Column("name", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),  # closed: no more uploads
)

workshop_entries = Table(
    "workshop_entries", metadata,
    Column("analysis_id", Integer, ForeignKey("analyses.id", ondelete="CASCADE"),
           primary_key=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("nickname", String(80), nullable=False),
)

passcode_throttle = Table(
    "passcode_throttle", metadata,  # failed passcode tries, one row per scope (v3)
    Column("scope", String(32), primary_key=True),  # e.g. "coach": one per deployment
    Column("failures", Integer, nullable=False),  # wrong tries in the current window
    Column("window_started_at", DateTime(timezone=True)),  # first wrong try of the window
    Column("locked_until", DateTime(timezone=True)),  # no try is checked before this
)


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[settings, athletes, analyses, strides, frames, drills,
                                      files])


def _create_v2_workshops(conn: Connection) -> None:
    metadata.create_all(conn, tables=[workshops, workshop_entries])


def _v3_delete_keys_and_throttle(conn: Connection) -> None:
    """The owner's delete key on analyses, and the passcode throttle. A database created
    by v1 of this code already has the column (the table definition grew), so add it
    only where it is missing."""
    present = {c["name"] for c in inspect(conn).get_columns("analyses")}
    if "delete_hash" not in present:
        conn.execute(text("ALTER TABLE analyses ADD COLUMN delete_hash VARCHAR(64)"))
    metadata.create_all(conn, tables=[passcode_throttle])


def _v4_verdict_in_the_lists(conn: Connection) -> None:
    """Analyses saved before the trust verdict existed have none in their list flags
    (`flags_json`, read by the history and squad tables): give them the verdict their
    summary gets when it opens today (gait.summary_versions), so the lists warn about
    them too. Rows with a saved verdict are left as they are."""
    import json

    from gait.reliability import VERDICTS
    from gait.store.serialize import report_from_rows, summary_figures

    for row in conn.execute(select(analyses.c.id, analyses.c.summary_json,
                                   analyses.c.stride_columns_json, analyses.c.events_json)):
        saved = json.loads(row.summary_json).get("reliability")
        if isinstance(saved, dict) and saved.get("verdict") in VERDICTS:
            continue
        report = report_from_rows(
            summary_json=row.summary_json, stride_columns_json=row.stride_columns_json,
            events_json=row.events_json,
            strides=[dict(r._mapping) for r in conn.execute(
                select(strides).where(strides.c.analysis_id == row.id))],
            frames_blob=conn.scalar(select(frames.c.data).where(frames.c.analysis_id == row.id)))
        conn.execute(update(analyses).where(analyses.c.id == row.id).values(
            flags_json=summary_figures(report.summary)["flags_json"]))


MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _create_v1),
    (2, _create_v2_workshops),
    (3, _v3_delete_keys_and_throttle),
    (4, _v4_verdict_in_the_lists),
]
LATEST_VERSION = MIGRATIONS[-1][0]
ADVISORY_LOCK_ID = 0x41D12_1FE  # any constant shared by all HipDrive processes


def current_version(conn: Connection) -> int:
    """The applied schema version (0: empty database)."""
    schema_version.create(conn, checkfirst=True)
    return int(conn.scalar(select(func.coalesce(func.max(schema_version.c.version), 0))))


def migrate(conn: Connection) -> int:
    """Apply the pending migrations inside the caller's write transaction; returns the
    version now in place."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise SchemaTooNew(f"The database has schema version {version}, newer than this "
                           f"HipDrive ({LATEST_VERSION}); upgrade HipDrive.")
    for number, step in MIGRATIONS:
        if number > version:
            step(conn)
            conn.execute(insert(schema_version).values(version=number))
            version = number
    return version
