"""The store's side of issue 11 ("Hosted and hostile"), against SQLite and a real
PostgreSQL server: the passcode throttle is shared by every store, thread and process
on one database, locks out, expires and logs without the passcode; a share link only
views, the owner's delete key deletes (with every kept file); analyses saved before
delete keys (an upgraded database) are view-only except for the host."""

from __future__ import annotations

import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from gait.store import Store, schema
from gait.store.throttle import ThrottlePolicy, clear_lockout, record_attempt
from gait.store.tokens import token_hash
from tests.store_writers import small_report
from tests.test_store import fake_video, fresh_database_url, row_counts

ROOT = Path(__file__).resolve().parents[1]
POLICY = ThrottlePolicy(max_failures=5, window_s=15 * 60.0, lockout_s=15 * 60.0)
T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def report():
    return small_report()


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request, tmp_path):
    return fresh_database_url(request.param, request, tmp_path)


@pytest.fixture
def stores(url, tmp_path):
    """Two stores on one database: what two app processes hold."""
    opened = [Store(url, files_dir=tmp_path / "files") for _ in range(2)]
    yield opened
    for store in opened:
        store.close()


def attempt(store: Store, *, success: bool, at: datetime, policy=POLICY):
    return record_attempt(store.engine, success=success, policy=policy, now=at)


# --- the passcode throttle ----------------------------------------------------------------
def test_wrong_tries_from_two_stores_add_up_to_one_lockout(stores):
    first, second = stores
    results = [attempt(first if i % 2 else second, success=False,
                       at=T0 + timedelta(seconds=10 * i)) for i in range(5)]
    assert [r.tries_left for r in results] == [4, 3, 2, 1, 0]
    assert [r.locked for r in results] == [False] * 4 + [True]
    # during the lockout even the right passcode is refused, through either store
    for store in stores:
        refused = attempt(store, success=True, at=T0 + timedelta(minutes=10))
        assert not refused.ok and refused.locked
        assert refused.locked_until == results[-1].locked_until
    assert results[-1].locked_until == T0 + timedelta(seconds=40, minutes=15)


def test_the_lockout_expires_and_the_right_passcode_then_gets_in(stores):
    first, second = stores
    for i in range(5):
        attempt(first, success=False, at=T0 + timedelta(seconds=i))
    ends = T0 + timedelta(seconds=4, minutes=15)
    assert attempt(second, success=True, at=ends - timedelta(seconds=1)).locked
    after = attempt(second, success=True, at=ends + timedelta(seconds=1))
    assert after.ok and not after.locked
    # and the count starts again from zero
    assert attempt(first, success=False, at=ends + timedelta(seconds=2)).tries_left == 4


def test_wrong_tries_spread_beyond_the_window_never_lock(stores):
    first, _ = stores
    for i in range(12):  # one wrong try every 4 minutes: at most 4 in any 15-min window
        result = attempt(first, success=False, at=T0 + timedelta(minutes=4 * i))
        assert not result.locked


def test_concurrent_tries_are_counted_one_after_another(stores):
    """Twelve wrong tries at once from two stores' connection pools: exactly five are
    checked (the fifth starts the lockout), every other one is refused."""
    first, second = stores
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: attempt(first if i % 2 else second,
                                                   success=False, at=T0), range(12)))
    checked = [r for r in results if not r.locked]
    assert len(checked) == 4 and sorted(r.tries_left for r in checked) == [1, 2, 3, 4]
    assert sum(r.locked for r in results) == 8


def test_the_host_can_end_a_lockout(stores):
    first, second = stores
    for i in range(5):
        attempt(first, success=False, at=T0 + timedelta(seconds=i))
    clear_lockout(second.engine)
    assert attempt(first, success=True, at=T0 + timedelta(minutes=1)).ok


def test_failures_are_logged_without_the_passcode(stores, caplog):
    first, _ = stores
    caplog.set_level(logging.INFO, logger="gait.store.throttle")
    for i in range(5):
        attempt(first, success=False, at=T0 + timedelta(seconds=i))
    attempt(first, success=True, at=T0 + timedelta(minutes=1))
    messages = [r.getMessage() for r in caplog.records if r.name == "gait.store.throttle"]
    assert sum("wrong try" in m for m in messages) == 5
    assert any("locked out for 15 min" in m for m in messages)
    assert any("refused during the lockout" in m for m in messages)
    assert all(r.levelno >= logging.WARNING for r in caplog.records
               if "wrong try" in r.getMessage())


def test_a_lockout_made_by_another_process_holds_here(tmp_path):
    """A separate Python process makes five wrong tries; this process is locked out."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    child = (
        "import sys\n"
        "from pathlib import Path\n"
        "from gait.store import Store\n"
        "from gait.store.throttle import ThrottlePolicy, record_attempt\n"
        "store = Store(sys.argv[1], files_dir=Path(sys.argv[2]))\n"
        "for _ in range(5):\n"
        "    record_attempt(store.engine, success=False, policy=ThrottlePolicy())\n")
    subprocess.run([sys.executable, "-c", child, url, str(tmp_path / "files")], check=True,
                   cwd=ROOT, timeout=120)
    store = Store(url, files_dir=tmp_path / "files")
    result = record_attempt(store.engine, success=True, policy=ThrottlePolicy())
    assert not result.ok and result.locked
    store.close()


@pytest.mark.parametrize(("env", "expected"), [
    ({}, ThrottlePolicy(5, 900.0, 900.0)),
    ({"HIPDRIVE_PASSCODE_MAX_FAILURES": "3", "HIPDRIVE_PASSCODE_WINDOW_MIN": "60",
      "HIPDRIVE_PASSCODE_LOCKOUT_MIN": "0.5"}, ThrottlePolicy(3, 3600.0, 30.0)),
    ({"HIPDRIVE_PASSCODE_MAX_FAILURES": "0", "HIPDRIVE_PASSCODE_WINDOW_MIN": "nan",
      "HIPDRIVE_PASSCODE_LOCKOUT_MIN": "soon"}, ThrottlePolicy(5, 900.0, 900.0)),
])
def test_the_policy_comes_from_the_environment(env, expected, monkeypatch, caplog):
    for name in ("HIPDRIVE_PASSCODE_MAX_FAILURES", "HIPDRIVE_PASSCODE_WINDOW_MIN",
                 "HIPDRIVE_PASSCODE_LOCKOUT_MIN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ThrottlePolicy.from_env() == expected
    if "soon" in env.values():  # invalid values are logged, and the defaults used
        assert sum("using" in r.getMessage() for r in caplog.records) == 3


# --- view and delete capabilities ---------------------------------------------------------
def test_the_share_link_views_and_only_the_delete_key_deletes_with_every_file(
        stores, tmp_path, report):
    store, other_process = stores
    raw, annotated = fake_video(tmp_path, "raw.mov"), fake_video(tmp_path, "annotated.mp4")
    receipt = store.save(report, athlete_name="Ana", raw_video=raw, annotated_video=annotated)
    assert receipt.delete_token and receipt.delete_token != receipt.token
    assert receipt.delete_path == (f"/?analysis={receipt.token}"
                                   f"&delete={receipt.delete_token}")
    kept = store.load(receipt.token).files
    assert set(kept) == {"raw_video", "annotated_video"} and all(
        p.exists() for p in kept.values())
    with store.engine.connect() as conn:  # only a hash of the delete key is stored
        stored = conn.scalar(select(schema.analyses.c.delete_hash))
    assert stored == token_hash(receipt.delete_token) and receipt.delete_token not in stored

    for wrong in (receipt.token, receipt.athlete_token, None, "", "x" * 43):
        assert store.can_delete(receipt.token, wrong) is False
        assert store.delete(receipt.token, delete_token=wrong) is False
    assert store.load(receipt.token) is not None and all(p.exists() for p in kept.values())
    other = store.save(report, athlete_name="Bo")
    assert store.delete(other.token, delete_token=receipt.delete_token) is False  # not its key

    assert other_process.can_delete(receipt.token, receipt.delete_token)
    assert other_process.delete(receipt.token, delete_token=receipt.delete_token) is True
    assert store.load(receipt.token) is None
    assert not any(p.exists() for p in kept.values())  # the clip and the annotated video
    assert sorted(p.name for p in store.files.root.iterdir()) == []
    counts = row_counts(store)
    assert counts["analyses"] == 1 and counts["files"] == 0 and counts["athletes"] == 1


def test_a_file_that_cannot_be_removed_does_not_undo_the_delete(stores, tmp_path, report,
                                                                monkeypatch, caplog):
    store, _ = stores
    receipt = store.save(report, athlete_name="Cy",
                         annotated_video=fake_video(tmp_path, "a.mp4"))
    kept = store.load(receipt.token).files["annotated_video"]

    def refuse(_name):
        raise PermissionError("read-only volume")

    monkeypatch.setattr(store.files, "remove", refuse)
    assert store.delete(receipt.token, delete_token=receipt.delete_token) is True
    assert store.load(receipt.token) is None
    assert "orphan sweep will retry" in caplog.text
    monkeypatch.undo()
    assert store.files.sweep_orphans(set(), older_than_s=0.0) == 1 and not kept.exists()


def downgrade_to_v2(store: Store) -> None:
    """What a database saved by the previous HipDrive looks like: no delete keys, no
    throttle table, schema version 2."""
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE analyses DROP COLUMN delete_hash"))
        conn.execute(text("DROP TABLE passcode_throttle"))
        conn.execute(delete(schema.schema_version).where(schema.schema_version.c.version
                                                         > 2))


def test_an_upgraded_database_keeps_old_analyses_view_only_but_host_deletable(
        url, tmp_path, report):
    old = Store(url, files_dir=tmp_path / "files")
    legacy = old.save(report, athlete_name="Old", annotated_video=fake_video(tmp_path))
    kept = old.load(legacy.token).files["annotated_video"]
    downgrade_to_v2(old)
    old.close()

    store = Store(url, files_dir=tmp_path / "files")  # the new HipDrive opens it: v4
    with store.engine.connect() as conn:
        assert schema.current_version(conn) == schema.LATEST_VERSION == 4
        assert conn.scalar(select(schema.analyses.c.delete_hash)) is None
    assert store.load(legacy.token).report.summary.cadence_spm == pytest.approx(
        report.summary.cadence_spm)
    for key in (legacy.token, legacy.delete_token):  # even its old key: nothing stored
        assert store.delete(legacy.token, delete_token=key) is False
    assert store.load(legacy.token) is not None and kept.exists()
    fresh = store.save(report, athlete_name="New")  # new saves get a key again
    assert store.can_delete(fresh.token, fresh.delete_token)
    assert attempt(store, success=False, at=T0).tries_left == 4  # throttle table made
    assert store.delete_by_host(legacy.token) is True
    assert store.load(legacy.token) is None and not kept.exists()
    store.close()
    Store(url, files_dir=tmp_path / "files").close()  # reopening migrates nothing twice
