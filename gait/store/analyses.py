"""Saved analyses: save, load, delete, athlete history, the squad, the invite link.

Access is by capability links, no accounts: an analysis's share token opens it
(read-only); its delete token, given once to whoever saved it and stored only hashed,
deletes it; an athlete's token opens their history; the squad invite token lets an
athlete save into the squad (gait.store.invites). Tokens are 256-bit random
(gait.store.tokens). Every save is one transaction; video files are kept only when
asked for.

Analyses saved before delete tokens existed (schema v2) have none: their share link
stays view-only and only the host can delete them (`delete_by_host`: the coach on the
Squad page).
"""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from gait import __version__
from gait.result import GaitReport
from gait.store import schema as t
from gait.store.database import make_engine, read_transaction, write_transaction
from gait.store.errors import StoreError
from gait.store.files import FileStore, StoredFile
from gait.store.invites import InviteMixin
from gait.store.location import data_dir, database_url
from gait.store.rows import delete_analysis_rows, enter_workshop
from gait.store.serialize import (
    FRAMES_FORMAT,
    dumps,
    events_to_json,
    frames_to_blob,
    report_from_rows,
    stride_rows,
    summary_figures,
)
from gait.store.tokens import matches_hash, new_token, token_hash, valid_token

logger = logging.getLogger(__name__)
MAX_NAME_CHARS = 80
MAX_NOTE_CHARS = 500
DEFAULT_ATHLETE = "Runner"
FILE_KINDS = ("raw_video", "annotated_video")
HISTORY_COLUMNS = (
    "token", "recorded_on", "created_at", "note", "speed_mps", "cadence_spm", "near_side",
    "n_strides", "peak_thigh_extension_left_deg", "peak_thigh_extension_right_deg",
    "thigh_extension_left_minus_right_deg", "reference_peak_thigh_extension_deg", "flags",
)


def share_path(token: str) -> str:
    return f"/?analysis={token}"


def history_path(athlete_token: str) -> str:
    return f"/?athlete={athlete_token}"


def delete_path(token: str, delete_token: str) -> str:
    """The owner's link: the share link plus the delete key."""
    return f"/?analysis={token}&delete={delete_token}"


def clean_text(text: str | None, *, max_chars: int) -> str:
    """User text as stored: control characters dropped, whitespace collapsed, cut to
    `max_chars`. (It is escaped where it is shown, not here.)"""
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch == " ")
    return " ".join(text.split())[:max_chars]


def squad_key(name: str) -> str:
    """How squad names match: case- and accent-insensitive ("Émile" = "emile"), single
    spaces."""
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", bare).casefold()[:MAX_NAME_CHARS]


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SaveReceipt:
    """What a save returns. `athlete_token` opens the athlete's whole history: the app
    shows it to the uploader only for a private save (`squad` False); squad members get
    theirs from the coach, so an invite link never reveals a teammate's history.
    `delete_token` deletes the analysis: it is known only here (the database keeps its
    hash), so it is shown once, to whoever saved; None where it is not known (a receipt
    rebuilt from a loaded analysis)."""

    token: str
    athlete_token: str
    athlete_name: str
    squad: bool = False
    delete_token: str | None = None

    @property
    def share_path(self) -> str:
        return share_path(self.token)

    @property
    def history_path(self) -> str:
        return history_path(self.athlete_token)

    @property
    def delete_path(self) -> str | None:
        return None if self.delete_token is None else delete_path(self.token,
                                                                  self.delete_token)


@dataclass(frozen=True)
class Athlete:
    token: str
    name: str
    in_squad: bool


@dataclass(frozen=True)
class SavedAnalysis:
    token: str
    athlete: Athlete
    created_at: datetime
    recorded_on: date
    note: str
    source_name: str | None
    app_version: str
    report: GaitReport
    files: dict[str, Path]  # kind → path of the kept file (only those that exist)


class Store(InviteMixin):
    """The database plus the folder of kept videos. Safe to share between threads."""

    def __init__(self, url: str, *, files_dir: Path) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.files = FileStore(files_dir)
        with write_transaction(self.engine) as conn:
            t.migrate(conn)

    @classmethod
    def open_default(cls) -> Store:
        """The store configured by HIPDRIVE_DATABASE_URL / HIPDRIVE_DATA_DIR."""
        return cls(database_url(), files_dir=data_dir() / "files")

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # --- saving ----------------------------------------------------------------------------
    def save(self, report: GaitReport, *, athlete_name: str | None = None,
             athlete_token: str | None = None, squad: bool = False,
             recorded_on: date | None = None, note: str | None = None,
             source_name: str | None = None, raw_video: Path | None = None,
             annotated_video: Path | None = None, workshop_id: int | None = None
             ) -> SaveReceipt:
        """Save `report` in one transaction. The athlete is the one of `athlete_token`
        (saving from a history link), else the squad member of that name (`squad`),
        else a new private athlete. Videos are kept only if their paths are given.
        `workshop_id`: also enter it on that (open) workshop's board, under the name."""
        name = clean_text(athlete_name, max_chars=MAX_NAME_CHARS)
        if squad and not name and not athlete_token:
            raise StoreError("Give the athlete's name to save into the squad.")
        summary = report.summary
        delete_token = new_token()
        row = {
            "token": new_token(), "delete_hash": token_hash(delete_token),
            "created_at": datetime.now(UTC),
            "recorded_on": recorded_on or date.today(),
            "note": clean_text(note, max_chars=MAX_NOTE_CHARS),
            "source_name": clean_text(source_name, max_chars=255) or None,
            "app_version": __version__, "options_json": dumps(asdict(summary.options)),
            "summary_json": dumps(summary.as_json()),
            "events_json": events_to_json(report.events),
            "stride_columns_json": dumps(list(report.strides.columns)),
            "n_strides": len(report.strides), **summary_figures(summary),
        }
        strides = stride_rows(report.strides)
        frames_blob = frames_to_blob(report.frames)
        kept = self._keep_files({"raw_video": raw_video, "annotated_video": annotated_video})
        try:
            with write_transaction(self.engine) as conn:
                athlete = self._resolve_athlete(conn, token=athlete_token, name=name,
                                                squad=squad)
                analysis_id = conn.execute(
                    insert(t.analyses).values(athlete_id=athlete["id"], **row)
                ).inserted_primary_key[0]
                if strides:
                    conn.execute(insert(t.strides),
                                 [{"analysis_id": analysis_id, **s} for s in strides])
                conn.execute(insert(t.frames).values(
                    analysis_id=analysis_id, format=FRAMES_FORMAT,
                    n_frames=len(report.frames), data=frames_blob))
                drills = [{"analysis_id": analysis_id, "rank": rank, "drill_id": d.id,
                           "name": d.name, "finding": d.finding, "why": d.why,
                           "evidence": d.evidence, "evidence_grade": d.evidence_grade,
                           "dosage": d.dosage}
                          for rank, d in enumerate(summary.drills, start=1)]
                if drills:
                    conn.execute(insert(t.drills), drills)
                if workshop_id is not None:
                    enter_workshop(conn, workshop_id, analysis_id, athlete["name"])
                for f in kept:
                    conn.execute(insert(t.files).values(
                        analysis_id=analysis_id, kind=f.kind, stored_name=f.stored_name,
                        size_bytes=f.size_bytes, sha256=f.sha256, kept_by_choice=True))
        except BaseException:
            for f in kept:
                self.files.remove(f.stored_name)
            raise
        return SaveReceipt(token=row["token"], athlete_token=athlete["token"],
                           athlete_name=athlete["name"], squad=bool(squad and not athlete_token),
                           delete_token=delete_token)

    def _keep_files(self, paths: dict[str, Path | None]) -> list[StoredFile]:
        kept: list[StoredFile] = []
        try:
            for kind, path in paths.items():
                if path is not None:
                    kept.append(self.files.add(Path(path), kind=kind))
        except BaseException:
            for f in kept:
                self.files.remove(f.stored_name)
            raise
        return kept

    def _resolve_athlete(self, conn: Connection, *, token: str | None, name: str,
                         squad: bool) -> dict:
        """The athlete row this save belongs to, locked for the rest of the transaction
        (FOR UPDATE on PostgreSQL; SQLite's write lock covers it) so that a concurrent
        delete of the athlete's last analysis cannot remove the athlete under us."""
        columns = (t.athletes.c.id, t.athletes.c.token, t.athletes.c.name)
        if token:
            found = conn.execute(select(*columns).where(t.athletes.c.token == token)
                                 .with_for_update()).first() if valid_token(token) else None
            if found is None:
                raise StoreError("That athlete link was not found (it may have been deleted); "
                                 "save without it to start a new history.")
            return found._asdict()
        values = {"name": name or DEFAULT_ATHLETE, "created_at": datetime.now(UTC)}
        if not squad:
            token = new_token()
            new_id = conn.execute(insert(t.athletes).values(token=token, **values)
                                  ).inserted_primary_key[0]
            return {"id": new_id, "token": token, "name": values["name"]}
        key = squad_key(name)
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        for _attempt in range(3):  # a concurrent delete may remove the row in between
            conn.execute(dialect.insert(t.athletes).values(token=new_token(), squad_key=key,
                                                           **values)
                         .on_conflict_do_nothing(index_elements=["squad_key"]))
            found = conn.execute(select(*columns).where(t.athletes.c.squad_key == key)
                                 .with_for_update()).first()
            if found is not None:
                return found._asdict()
        raise StoreError("The squad was busy; save again.")

    # --- reading ---------------------------------------------------------------------------
    def load(self, token: str | None) -> SavedAnalysis | None:
        """The analysis of a share token, or None if there is none (or never was)."""
        if not valid_token(token):
            return None
        with read_transaction(self.engine) as conn:
            row = conn.execute(
                select(t.analyses, t.athletes.c.token.label("athlete_token"),
                       t.athletes.c.name.label("athlete_name"),
                       t.athletes.c.squad_key.label("athlete_squad_key"))
                .join(t.athletes, t.athletes.c.id == t.analyses.c.athlete_id)
                .where(t.analyses.c.token == token)).first()
            if row is None:
                return None
            stride_rows_ = [dict(r._mapping) for r in conn.execute(
                select(t.strides).where(t.strides.c.analysis_id == row.id))]
            blob = conn.scalar(select(t.frames.c.data).where(t.frames.c.analysis_id == row.id))
            kept = conn.execute(select(t.files.c.kind, t.files.c.stored_name)
                                .where(t.files.c.analysis_id == row.id)).all()
        report = report_from_rows(summary_json=row.summary_json, strides=stride_rows_,
                                  stride_columns_json=row.stride_columns_json,
                                  frames_blob=blob, events_json=row.events_json)
        files = {kind: self.files.path(name) for kind, name in kept
                 if self.files.path(name).exists()}
        return SavedAnalysis(
            token=row.token, athlete=Athlete(row.athlete_token, row.athlete_name,
                                             row.athlete_squad_key is not None),
            created_at=as_utc(row.created_at), recorded_on=row.recorded_on, note=row.note,
            source_name=row.source_name, app_version=row.app_version, report=report,
            files=files)

    def athlete(self, token: str | None) -> Athlete | None:
        if not valid_token(token):
            return None
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(t.athletes.c.token, t.athletes.c.name,
                                      t.athletes.c.squad_key)
                               .where(t.athletes.c.token == token)).first()
        return None if row is None else Athlete(row.token, row.name, row.squad_key is not None)

    def history(self, athlete_token: str) -> pd.DataFrame:
        """Every analysis of the athlete, oldest first (HISTORY_COLUMNS)."""
        query = (select(t.analyses).join(t.athletes, t.athletes.c.id == t.analyses.c.athlete_id)
                 .where(t.athletes.c.token == athlete_token)
                 .order_by(t.analyses.c.recorded_on, t.analyses.c.created_at))
        return self._analysis_table(query)

    def squad(self) -> pd.DataFrame:
        """One row per squad athlete: their latest analysis and how many they have."""
        query = (select(t.analyses, t.athletes.c.name.label("athlete_name"),
                        t.athletes.c.token.label("athlete_token"))
                 .join(t.athletes, t.athletes.c.id == t.analyses.c.athlete_id)
                 .where(t.athletes.c.squad_key.is_not(None))
                 .order_by(t.analyses.c.recorded_on, t.analyses.c.created_at))
        table = self._analysis_table(query, extra=("athlete_name", "athlete_token"))
        if table.empty:
            return table.assign(n_analyses=pd.Series(dtype=int))
        counts = table.groupby("athlete_token").size().rename("n_analyses")
        latest = table.groupby("athlete_token", sort=False).tail(1).set_index("athlete_token")
        return latest.join(counts).reset_index().sort_values("athlete_name", key=lambda s:
                                                             s.str.casefold())

    def _analysis_table(self, query, *, extra: tuple[str, ...] = ()) -> pd.DataFrame:
        with read_transaction(self.engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["flags"] = json.loads(row.pop("flags_json") or "[]")
            row["created_at"] = as_utc(row["created_at"])
        return pd.DataFrame(rows, columns=[*HISTORY_COLUMNS, *extra])

    # --- deleting --------------------------------------------------------------------------
    def can_delete(self, token: str | None, delete_token: str | None) -> bool:
        """Whether `delete_token` is the delete key of the analysis of `token` (False for
        an analysis saved before delete keys, and for anything unknown)."""
        if not valid_token(token) or not valid_token(delete_token):
            return False
        with read_transaction(self.engine) as conn:
            stored = conn.scalar(select(t.analyses.c.delete_hash)
                                 .where(t.analyses.c.token == token))
        return matches_hash(delete_token, stored)

    def delete(self, token: str | None, *, delete_token: str | None) -> bool:
        """Delete the analysis of the share `token` if `delete_token` is its delete key:
        its rows, every kept file (original clip, annotated video) and, if it was the
        athlete's last, the athlete. The share token alone deletes nothing. Returns False
        if nothing was deleted (unknown analysis, wrong or missing key)."""
        if not valid_token(token) or not valid_token(delete_token):
            return False
        return self._delete(token, delete_token=delete_token)

    def delete_by_host(self, token: str | None) -> bool:
        """Delete the analysis of `token` without its delete key: for whoever runs the
        deployment (the coach behind the passcode, a host's script), e.g. analyses saved
        before delete keys existed. Returns False if there was none."""
        if not valid_token(token):
            return False
        return self._delete(token, delete_token=None)

    def _delete(self, token: str, *, delete_token: str | None) -> bool:
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(t.analyses.c.id, t.analyses.c.delete_hash)
                               .where(t.analyses.c.token == token)).first()
            if row is None:
                return False
            if delete_token is not None and not matches_hash(delete_token, row.delete_hash):
                return False
            names = delete_analysis_rows(conn, [row.id])
        self.remove_files(names)
        return True

    def remove_files(self, names: list[str]) -> None:
        """Remove kept files, after the commit that dropped their rows (a failed delete
        keeps its files). A file that cannot be removed now (e.g. a permission problem)
        is logged and left to `sweep_orphan_files`, which removes unreferenced files."""
        for name in names:
            try:
                self.files.remove(name)
            except OSError:
                logger.exception("could not remove the kept file %s; the orphan sweep "
                                 "will retry", name)

    def sweep_orphan_files(self) -> int:
        with read_transaction(self.engine) as conn:
            referenced = set(conn.scalars(select(t.files.c.stored_name)))
        return self.files.sweep_orphans(referenced)
