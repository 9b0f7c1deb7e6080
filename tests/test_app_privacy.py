"""Privacy that matches the words, in the app (AppTest, real engine on a rendered
clip, real SQLite store): saving is a visible choice, off until ticked; an unsaved
annotated video lives in the session's own folder only, and is gone when the runner
removes the result, deletes the saved analysis, or closes the tab; nothing lands in
the old shared `<data>/videos`; folders 0700, files 0600, SQLite secure_delete on;
a runner who leaves Analyze during a run finds the result on Results."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gait.store import Store
from gait.store.files import FileStore
from gait.store.location import data_dir as locate_data_dir
from synthetic.render_runner import make_clip
from ui import state
from ui.service import TOKEN_KEY, analysis_jobs, instance_dir

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RUN_TIMEOUT_S = 300


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """A fresh data folder per test, and a fresh job store that forgets a closed tab at
    once (no grace period)."""
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HIPDRIVE_DATABASE_URL", raising=False)
    monkeypatch.setenv("HIPDRIVE_SESSION_GRACE_S", "0.001")
    st.cache_resource.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path, _ = make_clip(tmp_path_factory.mktemp("clip"), fps=60, seconds=4.0, seed=8)
    return path


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def in_expander(at: AppTest, key: str) -> bool:
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)
    return any(getattr(e, "key", None) == key for exp in at.expander for e in walk(exp))


def analyse(clip: Path, *, speed: str = "", save: bool = False, keep_annotated: bool = False
            ) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.get("file_uploader")[0].upload("my run.mp4", clip.read_bytes(), "video/mp4")
    at.text_input(key="speed").set_value(speed)
    if save:
        at.checkbox(key="save_choice").check()
        at.run()
        if keep_annotated:
            at.checkbox(key="keep_annotated").check()
    at.run()
    at.button(key="analyze").click().run(timeout=RUN_TIMEOUT_S)
    no_exception(at)
    return with_the_video(at)


def with_the_video(at: AppTest) -> AppTest:
    """The numbers come first and the annotated video follows from the same job: wait
    for it, then the same session on Results, which collects it (as a runner who stays
    on the page)."""
    kept = at.session_state  # AppTest's session state has no .get()
    record = kept[state.PENDING_KEY] if state.PENDING_KEY in kept else None  # noqa: SIM401
    if record is None:
        return at
    record.job.future.result(timeout=RUN_TIMEOUT_S)
    collected = on_results(at)
    no_exception(collected)
    return collected


def on_results(at: AppTest) -> AppTest:
    """The same session on Results, in a fresh AppTest (as tests/test_app.py does after
    st.switch_page)."""
    fresh = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    for key in (state.RESULTS_KEY, state.CURRENT_KEY, state.PENDING_KEY, TOKEN_KEY):
        if key in at.session_state:
            fresh.session_state[key] = at.session_state[key]
    return fresh.switch_page("app_pages/results.py").run()


def session_folder(at: AppTest) -> Path:
    return instance_dir(analysis_jobs()) / at.session_state[TOKEN_KEY]


def current(at: AppTest) -> state.SessionResult:
    kept = at.session_state[state.RESULTS_KEY]
    return next(r for r in kept if r.id == at.session_state[state.CURRENT_KEY])


def mp4s(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.mp4")) if folder.exists() else []


# --- saving is a visible choice --------------------------------------------------------------

def test_save_checkbox_is_on_the_page_and_off_until_ticked():
    at = AppTest.from_file(APP, default_timeout=60).run()
    no_exception(at)
    box = at.checkbox(key="save_choice")
    assert box.label == "Save it and get a share link"
    assert box.value is False and not box.disabled
    assert not in_expander(at, "save_choice") and not in_expander(at, "athlete")
    assert not [c for c in at.checkbox if c.key in ("keep_raw", "keep_annotated")]
    assert any("Not saved" in c.value for c in at.caption)
    box.check().run()
    assert at.checkbox(key="keep_annotated").value is False  # offered once saving is on
    assert at.checkbox(key="keep_raw").value is False


def test_unsaved_analysis_jobss_nothing_and_its_video_goes_with_remove(clip, data_dir):
    at = on_results(analyse(clip))
    no_exception(at)
    result = current(at)
    assert result.saved is None
    video = Path(result.video_path)
    assert video.exists() and video.parent == session_folder(at)
    assert stat.S_IMODE(video.stat().st_mode) == 0o600
    assert len(at.get("video")) == 1  # the runner still sees it
    assert mp4s(data_dir / "videos") == [] and mp4s(data_dir / "files") == []
    store = Store(f"sqlite:///{data_dir / 'hipdrive.sqlite3'}", files_dir=data_dir / "files")
    with store.engine.connect() as conn:  # nothing about the run in the database
        assert conn.exec_driver_sql("select count(*) from analyses").scalar() == 0
    at.button(key=f"remove_{result.id}").click().run()
    no_exception(at)
    assert not video.exists() and mp4s(data_dir) == []
    assert any("No analysis yet" in i.value for i in at.info)


def test_unsaved_video_is_gone_once_the_session_has_ended(clip, data_dir):
    at = analyse(clip)
    folder = session_folder(at)
    video = Path(current(at).video_path)
    assert video.exists()
    store = analysis_jobs()
    token = at.session_state[TOKEN_KEY]
    store.register(token, lambda: False)  # what the runtime says once the tab is closed
    time.sleep(0.05)  # past the grace period (HIPDRIVE_SESSION_GRACE_S)
    store.sweep()  # (the store's own sweeper may have got there first)
    assert not video.exists() and not folder.exists() and mp4s(data_dir) == []


def test_delete_of_a_saved_analysis_also_removes_the_session_video(clip, data_dir):
    at = on_results(analyse(clip, save=True))
    result = current(at)
    assert result.saved is not None and Path(result.video_path).exists()
    key = f"delete_{result.id}"
    at.checkbox(key=f"{key}_sure").check().run()
    at.button(key=key).click().run()
    no_exception(at)
    assert not Path(result.video_path).exists()
    assert mp4s(data_dir) == []
    assert state.RESULTS_KEY not in at.session_state or not at.session_state[state.RESULTS_KEY]


def test_kept_annotated_video_is_copied_into_the_store_and_outlives_the_session(clip,
                                                                                data_dir):
    at = analyse(clip, save=True, keep_annotated=True)
    receipt = current(at).saved
    store = Store(f"sqlite:///{data_dir / 'hipdrive.sqlite3'}", files_dir=data_dir / "files")
    kept = store.load(receipt.token).files["annotated_video"]
    assert kept.exists() and kept.read_bytes() == Path(current(at).video_path).read_bytes()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    token = at.session_state[TOKEN_KEY]
    analysis_jobs().register(token, lambda: False)
    time.sleep(0.05)
    analysis_jobs().sweep()
    assert kept.exists() and mp4s(data_dir / "sessions") == []


# --- results survive navigation --------------------------------------------------------------

def start_and_leave(clip: Path, speed: str) -> AppTest:
    """Upload, press Analyze, and leave before the analysis ends: AppTest stops the
    script run after 3 s, as Streamlit does when the runner opens another page."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.get("file_uploader")[0].upload("my run.mp4", clip.read_bytes(), "video/mp4")
    at.text_input(key="speed").set_value(speed)  # options no other test used: a real run
    at.selectbox(key="speed_unit").set_value("m/s")
    at.run()
    with pytest.raises(RuntimeError, match="timed out"):
        at.button(key="analyze").click().run(timeout=3)
    assert not at.session_state[state.PENDING_KEY].job.done
    return at


def test_leaving_analyze_during_the_run_finds_it_on_results(clip, data_dir):
    at = start_and_leave(clip, "3.3")
    elsewhere = AppTest.from_file(APP, default_timeout=60)
    for key in (state.PENDING_KEY, TOKEN_KEY):
        elsewhere.session_state[key] = at.session_state[key]
    elsewhere.switch_page("app_pages/method.py").run()
    no_exception(elsewhere)
    at.session_state[state.PENDING_KEY].job.future.result(RUN_TIMEOUT_S)
    results = on_results(elsewhere)
    no_exception(results)
    assert results.title[0].value == "Results"
    result = current(results)
    assert result.report.summary.video.file == "my run.mp4"
    assert result.report.summary.speed_mps == pytest.approx(3.3)
    assert results.metric and len(results.get("video")) == 1
    assert Path(result.video_path).parent == session_folder(results)
    assert state.PENDING_KEY not in results.session_state


def test_results_page_shows_still_analysing_then_the_result(clip, data_dir):
    at = start_and_leave(clip, "3.4")
    waiting = on_results(at)
    no_exception(waiting)
    assert any(i.value.startswith("Still analysing my run") for i in waiting.info)
    assert len(waiting.get("progress")) == 1 and not waiting.metric
    assert not any("No analysis yet" in i.value for i in waiting.info)
    waiting.session_state[state.PENDING_KEY].job.future.result(RUN_TIMEOUT_S)
    waiting.run()  # what the polling fragment's st.rerun() does once the job has ended
    no_exception(waiting)
    assert current(waiting).report.summary.speed_mps == pytest.approx(3.4)
    assert waiting.metric and not any(i.value.startswith("Still") for i in waiting.info)


# --- files and database ----------------------------------------------------------------------

def test_data_folder_is_0700_even_if_it_existed_wider(tmp_path, monkeypatch):
    wide = tmp_path / "wide"
    wide.mkdir(mode=0o755)
    os.chmod(wide, 0o755)
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(wide))
    assert stat.S_IMODE(locate_data_dir().stat().st_mode) == 0o700
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "new" / "data"))
    assert stat.S_IMODE(locate_data_dir().stat().st_mode) == 0o700


def test_store_files_and_sqlite_are_private_and_deleted_rows_are_zeroed(tmp_path):
    files = FileStore(tmp_path / "files")
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"runner" * 100)
    stored = files.add(source, kind="raw_video")
    assert stat.S_IMODE(files.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(files.path(stored.stored_name).stat().st_mode) == 0o600
    db = tmp_path / "hipdrive.sqlite3"
    store = Store(f"sqlite:///{db}", files_dir=tmp_path / "files")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    for path in tmp_path.glob("hipdrive.sqlite3*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
