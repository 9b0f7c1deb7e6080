"""Saved analyses against SQLite and a real PostgreSQL server: exact round trip,
reopening (an app restart), delete, unknown tokens, squad matching, all-or-nothing
saves, concurrent writers, hostile names, the invite token, orphan files."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from gait.result import SUMMARY_SCHEMA_VERSION
from gait.store import Store, StoreError, schema
from gait.store import analyses as store_module
from gait.store.location import database_url
from tests.pg_server import create_database
from tests.store_writers import save_many, small_report

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="module")
def report():
    return small_report()


def fresh_database_url(backend: str, request, tmp_path) -> str:
    """A new empty database: a SQLite file, or a new database on the test server."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return create_database(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    return fresh_database_url(request.param, request, tmp_path)


@pytest.fixture
def store(store_url, tmp_path):
    opened = Store(store_url, files_dir=tmp_path / "files")
    yield opened
    opened.close()


def fake_video(folder: Path, name: str = "clip.mp4", size: int = 2048) -> Path:
    path = folder / name
    path.write_bytes(bytes(range(256)) * (size // 256))
    return path


def row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {table.name: conn.scalar(select(func.count()).select_from(table))
                for table in (schema.athletes, schema.analyses, schema.strides, schema.frames,
                              schema.drills, schema.files)}


def test_round_trip_is_exact_and_survives_a_restart(store_url, tmp_path, report):
    first = Store(store_url, files_dir=tmp_path / "files")
    receipt = first.save(report, athlete_name="Ana María", recorded_on=date(2026, 3, 14),
                         note="after 6 weeks of drills", source_name="IMG_0042.MOV")
    first.close()
    reopened = Store(store_url, files_dir=tmp_path / "files")  # a new process would do this
    saved = reopened.load(receipt.token)
    assert saved is not None
    pd.testing.assert_frame_equal(saved.report.frames, report.frames)
    pd.testing.assert_frame_equal(saved.report.strides, report.strides)
    pd.testing.assert_frame_equal(saved.report.events, report.events)
    assert saved.report.summary.cadence_spm == pytest.approx(report.summary.cadence_spm)
    assert saved.report.summary.drills == report.summary.drills
    assert (saved.athlete.name, saved.note, saved.source_name) == (
        "Ana María", "after 6 weeks of drills", "IMG_0042.MOV")
    assert saved.recorded_on == date(2026, 3, 14) and saved.created_at.tzinfo is not None
    assert saved.app_version and saved.files == {}  # no video kept unless asked
    assert receipt.share_path == f"/?analysis={receipt.token}"
    assert len(receipt.token) >= 43  # 256-bit token
    reopened.close()


def test_kept_videos_get_generated_names_and_delete_removes_everything(store, tmp_path,
                                                                       report):
    raw = fake_video(tmp_path, "my run; rm -rf ~.mp4")
    annotated = fake_video(tmp_path, "annotated.mp4")
    receipt = store.save(report, athlete_name="Bo", raw_video=raw, annotated_video=annotated,
                         source_name="../../etc/passwd")
    saved = store.load(receipt.token)
    assert set(saved.files) == {"raw_video", "annotated_video"}
    for path in saved.files.values():
        assert path.parent == store.files.root and "rm" not in path.name
    assert saved.files["raw_video"].read_bytes() == raw.read_bytes()
    other = store.save(report, athlete_name="Cy")
    assert store.delete(receipt.token, delete_token=receipt.token) is False  # view only
    assert store.delete(receipt.token, delete_token=receipt.delete_token) is True
    assert store.load(receipt.token) is None
    assert not any(p.exists() for p in saved.files.values())
    counts = row_counts(store)
    assert counts["analyses"] == 1 and counts["files"] == 0 and counts["athletes"] == 1
    assert counts["strides"] == len(report.strides)
    assert store.delete(receipt.token, delete_token=receipt.delete_token) is False  # twice
    assert store.load(other.token) is not None


@pytest.mark.parametrize("token", [None, "", "nope", "A" * 43, "../../etc/passwd",
                                   "' OR 1=1 --" + "x" * 32])
def test_unknown_or_malformed_tokens_find_nothing(store, report, token):
    store.save(report, athlete_name="Dee")
    assert store.load(token) is None
    assert store.athlete(token) is None
    assert store.delete(token, delete_token=token) is False
    assert store.delete_by_host(token) is False
    assert store.is_invite(token) is False
    assert row_counts(store)["analyses"] == 1


def test_squad_names_match_private_saves_never_merge(store, report):
    a = store.save(report, athlete_name="  Émile  Zola ", squad=True)
    b = store.save(report, athlete_name="emile zola", squad=True)
    assert a.squad and b.squad
    private = store.save(report, athlete_name="Émile Zola")  # no invite: a new athlete
    assert not private.squad
    mine = store.save(report, athlete_token=private.athlete_token)  # from the history link
    assert a.athlete_token == b.athlete_token != private.athlete_token
    assert mine.athlete_token == private.athlete_token
    assert len(store.history(a.athlete_token)) == 2
    assert len(store.history(private.athlete_token)) == 2
    squad = store.squad()
    assert list(squad["athlete_name"]) == ["Émile Zola"] and squad["n_analyses"].iloc[0] == 2
    with pytest.raises(StoreError, match="name"):
        store.save(report, athlete_name="   ", squad=True)
    with pytest.raises(StoreError, match="not found"):
        store.save(report, athlete_token="x" * 43)


def test_history_is_ordered_by_recording_date_with_key_figures(store, report):
    later = store.save(report, athlete_name="Eve", recorded_on=date(2026, 5, 1))
    earlier = store.save(report, athlete_token=later.athlete_token,
                         recorded_on=date(2026, 1, 1))
    history = store.history(later.athlete_token)
    assert list(history["token"]) == [earlier.token, later.token]
    near = report.summary.near_side
    assert history[f"peak_thigh_extension_{near}_deg"].iloc[0] == pytest.approx(
        report.summary.per_side[near].metrics["peak_thigh_extension_deg"].median)
    assert history["cadence_spm"].iloc[0] == pytest.approx(report.summary.cadence_spm)
    assert isinstance(history["flags"].iloc[0], list)


def test_a_failed_save_leaves_no_rows_and_no_files(store, tmp_path, report, monkeypatch):
    store.save(report, athlete_name="Kept")
    before = row_counts(store)
    real_insert = store_module.insert

    def failing_insert(table):
        if table is schema.files:  # the very last step of a save
            raise RuntimeError("disk full (simulated)")
        return real_insert(table)

    monkeypatch.setattr(store_module, "insert", failing_insert)
    with pytest.raises(RuntimeError, match="simulated"):
        store.save(report, athlete_name="Lost", squad=True,
                   annotated_video=fake_video(tmp_path))
    assert row_counts(store) == before
    assert list(store.files.root.iterdir()) == []


def test_hostile_names_are_stored_verbatim_and_harm_nothing(store, report):
    names = ["Robert'); DROP TABLE analyses;--", "<script>alert(1)</script>",
             "![x](http://evil.example/pixel.png)", "a\x00b\u202ec"]
    tokens = [store.save(report, athlete_name=n, squad=True).token for n in names]
    loaded = [store.load(tok).athlete.name for tok in tokens]
    assert loaded[:3] == names[:3]
    assert loaded[3] == "abc"  # control and bidi-override characters are dropped
    assert row_counts(store)["analyses"] == 4


def test_invite_token_is_stable_until_rotated(store):
    assert store.is_invite("A" * 43) is False  # checking creates nothing
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(schema.settings)) == 0
    first = store.invite_token()
    assert store.invite_token() == first and store.is_invite(first)
    second = store.rotate_invite_token()
    assert second != first and store.is_invite(second) and not store.is_invite(first)


def test_orphan_files_from_a_crash_are_swept(store, tmp_path, report):
    receipt = store.save(report, athlete_name="Fay", annotated_video=fake_video(tmp_path))
    orphan = store.files.root / "0123456789abcdef0123456789abcdef.mp4"
    orphan.write_bytes(b"left by a crashed save")
    assert store.files.sweep_orphans(set(), older_than_s=3600) == 0  # too young to judge
    assert store.sweep_orphan_files() == 0

    os.utime(orphan, (1, 1))
    assert store.sweep_orphan_files() == 1 and not orphan.exists()
    assert store.load(receipt.token).files["annotated_video"].exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_saves_from_several_processes_all_land(backend, request, tmp_path):
    """Four processes open a fresh database at once (racing the migration) and each save
    six analyses, half of them into the same squad athlete."""
    url = fresh_database_url(backend, request, tmp_path)
    workers, per_worker = 4, 6
    video = fake_video(tmp_path)
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 6.0  # after the children have imported everything
    with context.Pool(workers) as pool:
        results = pool.starmap(save_many, [(url, str(tmp_path / "files"), w, per_worker,
                                            "Shared Name", str(video), start_at)
                                           for w in range(workers)])
    tokens = [tok for batch in results for tok in batch]
    assert len(set(tokens)) == workers * per_worker
    store = Store(url, files_dir=tmp_path / "files")
    assert all(store.load(tok) is not None for tok in tokens)
    counts = row_counts(store)
    assert counts["analyses"] == counts["files"] == workers * per_worker
    squad = store.squad()
    assert list(squad["athlete_name"]) == ["Shared Name"]
    assert squad["n_analyses"].iloc[0] == workers * per_worker // 2
    assert counts["athletes"] == 1 + workers  # the squad member + one private per worker
    assert len(list(store.files.root.iterdir())) == workers * per_worker
    if backend == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.close()


def test_default_location_is_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("HIPDRIVE_DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'd' / 'hipdrive.sqlite3'}"
    store = Store.open_default()
    assert store.backend == "sqlite" and (tmp_path / "d" / "hipdrive.sqlite3").exists()
    store.close()
    monkeypatch.setenv("HIPDRIVE_DATABASE_URL", "postgresql://u:p@db.example/hd")
    assert database_url() == "postgresql+psycopg://u:p@db.example/hd"


def test_every_failure_leaves_the_store_as_a_store_error(tmp_path, report):
    """Callers catch one type: the database unreachable, a database file that is not one,
    a kept-videos folder that cannot be made, a video that cannot be copied in."""
    from sqlalchemy.exc import SQLAlchemyError

    from gait.store import DatabaseUnavailable, FilesUnavailable

    with pytest.raises(DatabaseUnavailable) as unreachable:
        Store("postgresql+psycopg://nobody@127.0.0.1:9/none", files_dir=tmp_path / "f")
    assert isinstance(unreachable.value.__cause__, SQLAlchemyError)
    assert "127.0.0.1" in unreachable.value.reason and "HIPDRIVE_DATABASE_URL" in str(
        unreachable.value)

    (tmp_path / "not-a-folder").write_text("a file where the folder should be")
    with pytest.raises(FilesUnavailable, match="kept-videos folder"):
        Store(f"sqlite:///{tmp_path / 'a.sqlite3'}", files_dir=tmp_path / "not-a-folder")

    store = Store(f"sqlite:///{tmp_path / 'b.sqlite3'}", files_dir=tmp_path / "files")
    receipt = store.save(report, athlete_name="Ada")
    with pytest.raises(FilesUnavailable):
        store.save(report, athlete_name="Ada", raw_video=tmp_path / "gone.mp4")
    assert len(store.history(receipt.athlete_token)) == 1  # the failed save left nothing
    store.close()
    for name in ("b.sqlite3-wal", "b.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    (tmp_path / "b.sqlite3").write_bytes(b"this is not a database" * 100)
    for call in (lambda: store.load(receipt.token), lambda: store.history(receipt.athlete_token),
                 lambda: store.save(report, athlete_name="Ada")):
        with pytest.raises(DatabaseUnavailable):
            call()
    assert all(issubclass(kind, StoreError) for kind in (DatabaseUnavailable, FilesUnavailable))


SAVED_BY_F8795F5 = Path(__file__).parent / "data" / "saved" / "analysis_f8795f5.sqlite3.gz"
F8795F5_TOKEN = "9w-8VdInOP1Z7eJgYZ1kGV6ndif59VDLAJAatJn4GHA"


def test_an_analysis_saved_by_an_earlier_version_still_opens_everywhere(tmp_path):
    """A database written at commit f8795f5 (tests/data/saved/README.md) opens with
    today's code; its report, headline, comparison table and reference all build."""
    import gzip

    from gait.headline import headline
    from gait.reference import reference_as_used
    from gait.report import render_html_report
    from ui.text import comparison_table

    database = tmp_path / "earlier.sqlite3"
    database.write_bytes(gzip.decompress(SAVED_BY_F8795F5.read_bytes()))
    store = Store(f"sqlite:///{database}", files_dir=tmp_path / "files")
    saved = store.load(F8795F5_TOKEN)
    store.close()
    assert saved is not None and saved.athlete.name == "Fixture runner"
    assert len(saved.report.strides) == 11 and len(saved.report.frames) == 150
    summary = saved.report.summary
    # saved before the schema version, the curves and (here) with its verdict: brought up
    # to today's shape on loading (gait.summary_versions), the reference matched again
    raw = json.loads(sqlite3.connect(database).execute(
        "SELECT summary_json FROM analyses").fetchone()[0])
    assert "schema_version" not in raw and "thigh_curve_deg" not in raw["reference"]
    assert summary.schema_version == SUMMARY_SCHEMA_VERSION
    assert summary.reference.curves_matched_on_opening is True
    assert len(summary.reference.thigh_curve_deg) == 100
    assert summary.reliability.as_json() == raw["reliability"]  # a verdict saved is kept as saved
    assert reference_as_used(summary).used_speed_mps == summary.reference.speed_mps_used
    assert headline(summary).angles[0].median is not None
    assert len(comparison_table(summary)) == 14
    assert '<table id="medians">' in render_html_report(saved.report)


def test_analyses_saved_before_the_verdict_get_it_in_the_lists(tmp_path):
    """The history and squad lists show an analysis' flags with its trust verdict first.
    An analysis saved before the verdict existed had none: opening that database with
    today's code (schema v4) puts the verdict its summary gets today into the lists,
    and leaves a saved verdict alone."""
    import gzip

    database = tmp_path / "before_the_verdict.sqlite3"
    database.write_bytes(gzip.decompress(SAVED_BY_F8795F5.read_bytes()))
    with sqlite3.connect(database) as conn:  # as written before the verdict existed
        summary = json.loads(conn.execute("SELECT summary_json FROM analyses").fetchone()[0])
        verdict = summary.pop("reliability")["verdict"]
        conn.execute("UPDATE analyses SET summary_json = ?, flags_json = ?",
                     (json.dumps(summary), json.dumps([q["id"] for q in summary["quality"]])))
        assert max(v for (v,) in conn.execute(
            "SELECT version FROM hipdrive_schema_version")) == 3
    assert verdict == "use_with_care"
    store = Store(f"sqlite:///{database}", files_dir=tmp_path / "files")
    saved = store.load(F8795F5_TOKEN)
    history = store.history(saved.athlete.token)
    store.close()
    flags = history["flags"].iloc[0]
    assert flags[0] == verdict == saved.report.summary.verdict
    assert flags[1:] == [q["id"] for q in summary["quality"]]

    kept = tmp_path / "with_its_verdict.sqlite3"  # the fixture as saved: not rewritten
    kept.write_bytes(gzip.decompress(SAVED_BY_F8795F5.read_bytes()))
    before = sqlite3.connect(kept).execute("SELECT flags_json FROM analyses").fetchone()[0]
    Store(f"sqlite:///{kept}", files_dir=tmp_path / "files2").close()
    after = sqlite3.connect(kept).execute("SELECT flags_json FROM analyses").fetchone()[0]
    assert after == before
