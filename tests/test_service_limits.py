"""The app's job limits (ui.jobs, ui.service): the bounded queue, one running job per
session, the time budget and the cancelling of a job whose session has gone — with
stand-in work where only the scheduling is tested, and through the real engine
(MediaPipe + renderer on a rendered clip) where the cancel must reach inside it."""

from __future__ import annotations

import hashlib
import io
import stat
import threading
import time

import pytest

from gait.pipeline import analyze_track
from gait.result import AnalysisOptions
from synthetic.render_runner import make_clip
from synthetic.runner_model import synthesize_run, to_pose_track
from ui import service
from ui.jobs import AlreadyRunning, Analysis, AnalysisJobs, Busy, JobCancelled

WAIT_S = 30


@pytest.fixture(scope="module")
def report():
    run = synthesize_run(fps=60, duration_s=6, direction=+1, seed=5)
    return analyze_track(to_pose_track(run, noise_px=1.0, seed=5),
                         options=AnalysisOptions(speed_mps=3.5, treadmill=True),
                         capture_fps=60.0)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPDRIVE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path, _ = make_clip(tmp_path_factory.mktemp("clip"), fps=60, seconds=4.0, seed=8)
    return path


def blocking(report, release: threading.Event, key: str):
    """Work that reports progress until `release` is set."""
    def work(progress):
        while not release.wait(0.02):
            progress("pose", 0.5, None)
        return Analysis(key, report, None)
    return work


def test_a_full_pool_and_queue_refuse_the_next_job_as_busy(report):
    store = AnalysisJobs(max_parallel=1, max_queued=1)
    release = threading.Event()
    running = store.submit("a", blocking(report, release, "a"), session="s1")
    queued = store.submit("b", blocking(report, release, "b"), session="s2")
    with pytest.raises(Busy, match="busy — try again in a minute"):
        store.submit("c", blocking(report, release, "c"), session="s3")
    # the same clip as a running job is no extra work: it joins
    assert store.submit("a", blocking(report, release, "a"), session="s4") is running
    release.set()
    running.future.result(WAIT_S), queued.future.result(WAIT_S)
    done = store.submit("c", lambda progress: Analysis("c", report, None), session="s3")
    assert done.future.result(WAIT_S).key == "c"


def test_one_running_job_per_session(report):
    store = AnalysisJobs(max_parallel=2, max_queued=4)
    release = threading.Event()
    first = store.submit("a", blocking(report, release, "a"), session="me")
    with pytest.raises(AlreadyRunning, match="still being analysed"):
        store.submit("b", blocking(report, release, "b"), session="me")
    assert store.submit("a", blocking(report, release, "a"), session="me") is first
    other = store.submit("b", blocking(report, release, "b"), session="someone else")
    release.set()
    first.future.result(WAIT_S), other.future.result(WAIT_S)
    after = store.submit("b", lambda progress: Analysis("b", report, None), session="me")
    assert after.future.result(WAIT_S).key == "b"  # once it ended, the next one may start


def test_a_job_over_its_time_budget_is_stopped_with_a_reason(report):
    store = AnalysisJobs(max_parallel=1, timeout_s=0.3)
    job = store.submit("slow", blocking(report, threading.Event(), "slow"), session="s")
    started = time.monotonic()
    with pytest.raises(JobCancelled, match="longer than the 0 seconds") as stopped:
        job.future.result(WAIT_S)
    assert stopped.value.reason == "timeout" and time.monotonic() - started < 5
    assert "Upload a shorter clip" in str(stopped.value)
    assert "Closer thigh angles" in str(stopped.value)  # the faster pose model is a way out
    assert store.get("slow") is None
    # the pool slot is free again
    assert store.submit("next", lambda p: Analysis("next", report, None)).future.result(WAIT_S)


def test_a_job_whose_sessions_have_all_gone_is_cancelled(report):
    alive = {"one": True, "two": True}
    store = AnalysisJobs(max_parallel=1, grace_s=0.0)
    store.register("one", lambda: alive["one"])
    store.register("two", lambda: alive["two"])
    job = store.submit("k", blocking(report, threading.Event(), "k"), session="one")
    assert store.submit("k", blocking(report, threading.Event(), "k"), session="two") is job
    alive["one"] = False
    assert store.sweep() == ["one"]
    time.sleep(0.2)
    assert not job.done  # "two" still waits for it
    alive["two"] = False
    assert store.sweep() == ["two"]
    with pytest.raises(JobCancelled) as stopped:
        job.future.result(WAIT_S)
    assert stopped.value.reason == "gone"


def test_a_job_cancelled_before_it_started_still_cleans_up(report):
    store = AnalysisJobs(max_parallel=1, grace_s=0.0)
    release, cleaned, alive = threading.Event(), [], {"flag": True}
    store.register("waiting", lambda: alive["flag"])
    running = store.submit("a", blocking(report, release, "a"), session="running")
    queued = store.submit("b", lambda progress: pytest.fail("a cancelled job ran"),
                          session="waiting", cleanup=lambda: cleaned.append("b"))
    alive["flag"] = False
    store.sweep()
    release.set()
    running.future.result(WAIT_S)
    with pytest.raises(JobCancelled):
        queued.future.result(WAIT_S)
    assert cleaned == ["b"]


def test_a_disconnected_session_has_a_grace_period(report):
    alive = {"flag": False}
    store = AnalysisJobs(grace_s=0.5)
    store.register("s", lambda: alive["flag"])
    assert store.sweep() == []  # just disconnected: it may come back
    time.sleep(0.6)
    assert store.sweep() == ["s"]


def test_a_private_video_is_not_cached_and_goes_with_its_last_session(report, tmp_path):
    store = AnalysisJobs(max_parallel=1, grace_s=0.0)
    master = tmp_path / "job.mp4"
    release = threading.Event()

    def work(progress):
        release.wait(WAIT_S)
        master.write_bytes(b"frames of the runner")
        return Analysis("k", report, master, private_video=True)

    alive = {"b": True}
    store.register("b", lambda: alive["b"])
    job = store.submit("k", work, session="a")
    store.submit("k", work, session="b")
    release.set()
    job.future.result(WAIT_S)
    assert store.get("k").video_path is None  # the report is cached, the video never
    mine = store.claim_video(job, "a", tmp_path / "a" / "mine.mp4")
    assert mine.read_bytes() == b"frames of the runner" and master.exists()  # b may claim
    alive["b"] = False
    store.sweep()
    assert not master.exists() and mine.exists()  # b left without claiming


def test_spooling_hashes_while_writing_a_private_file(tmp_path):
    data = bytes(range(256)) * 9000  # > 2 blocks
    for source in (data, io.BytesIO(data)):
        spool = service.spool_upload(source, tmp_path, suffix=".mov")
        assert spool.path.read_bytes() == data and spool.path.suffix == ".mov"
        assert spool.digest == hashlib.sha256(data).hexdigest()
        assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    options = AnalysisOptions(speed_mps=3.0)
    assert service.key_for_digest(spool.digest, options) == service.analysis_key(data, options)


def test_real_analysis_gives_each_session_its_own_video_and_leaves_no_job_files(clip, tmp_path):
    store = AnalysisJobs(max_parallel=1)
    token = "browser-tab"
    folder = service.session_dir(store, token)
    spool = service.spool_upload(clip.read_bytes(), folder, suffix=".mp4")
    job = service.start_analysis(spool, options=AnalysisOptions(), session=token, store=store)
    spool.path.unlink()  # the session may drop its spool at once: the job has its own link
    analysis = job.future.result(300)
    assert analysis.private_video and analysis.video_path.exists()
    mine = store.claim_video(job, token, folder / "result.mp4")
    assert mine.exists() and stat.S_IMODE(mine.stat().st_mode) == 0o600
    assert not analysis.video_path.exists()  # the only session claimed it
    jobs = service.instance_dir(store) / "jobs"
    assert list(jobs.iterdir()) == []  # no clip, no video left behind
    # the same clip again: the report is cached, only the video is drawn for this session
    runs = store.runs
    again = service.start_analysis(service.spool_upload(clip.read_bytes(), folder,
                                                        suffix=".mp4"),
                                   options=AnalysisOptions(), session=token, store=store)
    assert again.future.result(300).video_path.exists() and store.runs == runs


def test_the_time_budget_stops_the_real_engine_and_cleans_up(clip):
    store = AnalysisJobs(max_parallel=1, timeout_s=1.0)
    token = "tab"
    spool = service.spool_upload(clip.read_bytes(), service.session_dir(store, token),
                                 suffix=".mp4")
    job = service.start_analysis(spool, options=AnalysisOptions(speed_mps=3.1),
                                 session=token, store=store)
    started = time.monotonic()
    with pytest.raises(JobCancelled) as stopped:
        job.future.result(300)
    assert stopped.value.reason == "timeout"
    assert time.monotonic() - started < 10  # stopped inside pose extraction, not at the end
    assert list((service.instance_dir(store) / "jobs").iterdir()) == []


def test_the_time_budget_is_told_in_minutes_or_seconds():
    assert "longer than the 10 minutes this server allows" in str(JobCancelled("timeout", 600))
    assert "longer than the 90 seconds this server allows" in str(JobCancelled("timeout", 90))
