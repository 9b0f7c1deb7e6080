"""Analysis jobs: the process-wide cache of finished analyses, a bounded worker pool,
one running job per browser session, a time budget per job and cooperative
cancellation. No Streamlit here (`ui.service` wires it to the app), so it is tested
directly.

Conventions:
- A *session* is an opaque token naming one browser tab. `register(token, probe)`
  tells the store how to ask whether that tab is still connected; a session whose
  probe has said "no" for longer than `grace_s` is *gone*.
- Jobs are keyed by the content of the clip and the options (`ui.service`), so two
  sessions sending the same clip share one job; only sessions that sent those bytes
  ever learn the key.
- Cancelling is cooperative: the engine calls `Job.on_progress` (its progress callback)
  several times a second while it decodes, finds the pose and renders; a job over
  its time budget, or whose sessions are all gone, raises `JobCancelled` there.
- A private annotated video (the runner's own frames) is never cached: the job
  writes it once, each waiting session takes a hard link into its own folder
  (`claim_video`), and the job's copy is deleted once every waiting session has its
  link or is gone.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gait.progress import Progress
from gait.result import GaitReport

logger = logging.getLogger(__name__)

Probe = Callable[[], bool]
MAX_ENTRIES = 24  # analyses kept in memory (a report is ~1 MB)
DEFAULT_MAX_QUEUED = 4  # jobs waiting for a worker beyond the running ones
DEFAULT_TIMEOUT_S = 600.0  # time budget of one job, from the moment a worker starts it
DEFAULT_GRACE_S = 120.0  # a disconnected tab can reconnect this long (Streamlit keeps it 2 min)
SWEEP_INTERVAL_S = 5.0


class JobRefused(Exception):
    """A job that was not started; the message tells the runner what to do."""


class Busy(JobRefused):
    def __init__(self) -> None:
        super().__init__("HipDrive is busy — try again in a minute. (Every analysis slot on "
                         "this server is taken and the waiting line is full.)")


class AlreadyRunning(JobRefused):
    def __init__(self) -> None:
        super().__init__("Your previous clip is still being analysed. Wait for it to finish "
                         "(its progress is on the Results page), then analyse the next one.")


class JobCancelled(Exception):
    """Raised inside a job (from its progress callback) to stop it; `reason` is
    "timeout" or "gone"."""

    def __init__(self, reason: str, timeout_s: float) -> None:
        self.reason = reason
        if reason == "timeout":
            budget = (f"{timeout_s / 60:.0f} minutes" if timeout_s >= 120
                      else f"{timeout_s:.0f} seconds")
            message = (f"This clip took longer than the {budget} this server allows for "
                       "one analysis, so it was stopped. Upload a shorter clip (10–20 s of "
                       "running is plenty) or a lower resolution, or untick \"Closer thigh "
                       "angles\" under Optional: the full pose model takes about half the "
                       "time.")
        else:
            message = "The analysis was stopped because its browser tab was closed."
        super().__init__(message)


@dataclass(frozen=True)
class Analysis:
    """One finished analysis: the engine's report and the annotated video (if made).
    `private_video`: the video shows the uploader's frames and must not be cached."""

    key: str
    report: GaitReport
    video_path: Path | None
    private_video: bool = False


class Numbers:
    """Where a job's work puts its report as soon as the numbers exist, before the
    annotated video is made (one attribute assignment: safe to read from any thread)."""

    def __init__(self) -> None:
        self.report: GaitReport | None = None


class Job:
    """An analysis in the worker pool; `state` is its latest progress report and
    `numbers.report` its report once the numbers exist (the video may still be in
    the making)."""

    def __init__(self, key: str, work: Callable[[Progress], Analysis], *,
                 timeout_s: float, cleanup: Callable[[], None] | None = None,
                 numbers: Numbers | None = None) -> None:
        self.key = key
        self.work = work
        self.numbers = numbers or Numbers()
        self.cleanup = cleanup  # run when the job ends, however (even cancelled unstarted)
        self.timeout_s = timeout_s
        self.state: tuple[str, float, float | None] = ("queue", 0.0, None)
        self.future: Future[Analysis] | None = None
        self.deadline_s: float | None = None  # monotonic; set when a worker starts it
        self.cancel_reason: str | None = None
        self.sessions: set[str] = set()  # sessions waiting for the result, not yet claimed

    def on_progress(self, stage: str, fraction: float, eta_s: float | None) -> None:
        """The engine's progress callback: records progress, stops a cancelled job."""
        self.check()
        self.state = (stage, fraction, eta_s)  # one tuple assignment: safe to read anywhere

    def check(self) -> None:
        if self.cancel_reason is None and self.deadline_s is not None \
                and time.monotonic() > self.deadline_s:
            self.cancel_reason = "timeout"
        if self.cancel_reason is not None:
            raise JobCancelled(self.cancel_reason, self.timeout_s)

    def cancel(self, reason: str) -> None:
        if self.cancel_reason is None:
            self.cancel_reason = reason

    @property
    def done(self) -> bool:
        return self.future is not None and self.future.done()


@dataclass
class _Session:
    probe: Probe
    last_alive_s: float


class AnalysisJobs:
    """Finished analyses (thread-safe LRU), the jobs in flight and the sessions
    waiting for them.

    At most `max_parallel` jobs run (pose extraction takes about one core each) and
    at most `max_queued` more wait; beyond that `submit` raises `Busy`. A session
    may have one unfinished job; another clip from it raises `AlreadyRunning`.
    `on_gone(token)` is called (from `sweep`) for each session that has gone.
    """

    def __init__(self, *, max_entries: int = MAX_ENTRIES, max_parallel: int = 2,
                 max_queued: int = DEFAULT_MAX_QUEUED, timeout_s: float = DEFAULT_TIMEOUT_S,
                 grace_s: float = DEFAULT_GRACE_S,
                 on_gone: Callable[[str], None] | None = None) -> None:
        self.max_entries = max_entries
        self.max_parallel = max_parallel
        self.max_queued = max_queued
        self.timeout_s = timeout_s
        self.grace_s = grace_s
        self.on_gone = on_gone
        self.runs = 0  # analyses actually computed (cache misses)
        self._pool = ThreadPoolExecutor(max_workers=max_parallel,
                                        thread_name_prefix="hipdrive-analysis")
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Analysis] = OrderedDict()
        self._running: dict[str, Job] = {}
        self._by_session: dict[str, Job] = {}
        self._unclaimed: list[Job] = []  # finished jobs whose private video awaits sessions
        self._sessions: dict[str, _Session] = {}
        self._sweeper: threading.Thread | None = None

    # --- cache --------------------------------------------------------------------------
    def get(self, key: str) -> Analysis | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit.video_path is not None and not hit.video_path.exists():
                hit = None  # the video was removed: analyse again
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, analysis: Analysis) -> None:
        """Cache `analysis` (a private video is never cached, only the report)."""
        if analysis.private_video:
            analysis = dataclasses.replace(analysis, video_path=None, private_video=False)
        with self._lock:
            if analysis.key not in self._entries:
                self.runs += 1
            self._entries[analysis.key] = analysis
            self._entries.move_to_end(analysis.key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    # --- jobs ---------------------------------------------------------------------------
    def submit(self, key: str, work: Callable[[Progress], Analysis], *,
               session: str | None = None, cleanup: Callable[[], None] | None = None,
               numbers: Numbers | None = None) -> Job:
        """The unfinished job for `key` (joined), or a new one running `work(progress)`
        and then `cleanup()`, however it ends; `work` may put its report in `numbers`
        before it makes the video (a joined job keeps its own).

        Raises AlreadyRunning if `session` has another unfinished job, Busy if the
        pool and its waiting line are full. `job.work is work` tells the caller
        whether its own `work` (and `cleanup`) will run."""
        with self._lock:
            mine = self._by_session.get(session) if session else None
            if mine is not None and not mine.done and mine.key != key:
                raise AlreadyRunning()
            job = self._running.get(key)
            if job is None:
                if len(self._running) >= self.max_parallel + self.max_queued:
                    raise Busy()
                job = Job(key, work, timeout_s=self.timeout_s, cleanup=cleanup,
                          numbers=numbers)
                self._running[key] = job
                job.future = self._pool.submit(self._run_job, job)
            if session:
                job.sessions.add(session)
                self._by_session[session] = job
                self._touch(session)
            return job

    def _run_job(self, job: Job) -> Analysis:
        try:
            job.deadline_s = time.monotonic() + job.timeout_s
            job.check()  # cancelled while it waited
            analysis = job.work(job.on_progress)
            self.put(analysis)
            if analysis.private_video and analysis.video_path is not None:
                with self._lock:
                    self._unclaimed.append(job)
            return analysis
        finally:
            if job.cleanup is not None:
                try:
                    job.cleanup()
                except OSError:
                    logger.exception("cleaning up after job %s failed", job.key[:12])
            with self._lock:
                self._running.pop(job.key, None)

    def claim_video(self, job: Job, session: str, dest: Path) -> Path | None:
        """`session`'s own hard link (a copy where links fail) of the job's private
        video at `dest`, or None if there is none. The job's copy is deleted once every
        waiting session has claimed it."""
        analysis = job.future.result()
        source = analysis.video_path
        if not analysis.private_video or source is None:
            return source
        with self._lock:
            try:
                if not source.exists():
                    return None
                dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                try:
                    os.link(source, dest)
                except OSError:
                    shutil.copyfile(source, dest)
                    os.chmod(dest, 0o600)
                return dest
            finally:
                job.sessions.discard(session)
                self._release_if_unclaimed(job)

    def _release_if_unclaimed(self, job: Job) -> None:
        """Delete a finished job's private video once no session waits for it (lock held)."""
        if job.sessions or not job.done:
            return
        if job.future.exception(timeout=0) is None:  # a failed job has no video
            video = job.future.result(timeout=0).video_path
            if video is not None:
                video.unlink(missing_ok=True)
        if job in self._unclaimed:
            self._unclaimed.remove(job)

    # --- sessions -----------------------------------------------------------------------
    def register(self, session: str, probe: Probe) -> None:
        """Know `session` (its page just ran, so it is alive) and how to probe it."""
        with self._lock:
            self._sessions[session] = _Session(probe, time.monotonic())

    def _touch(self, session: str) -> None:
        known = self._sessions.get(session)
        if known is None:
            self._sessions[session] = _Session(lambda: True, time.monotonic())
        else:
            known.last_alive_s = time.monotonic()

    def sweep(self) -> list[str]:
        """Find the sessions that have gone; cancel jobs nobody waits for any more,
        delete private videos nobody will claim, call `on_gone`. Returns the gone ones."""
        now = time.monotonic()
        with self._lock:
            sessions = list(self._sessions.items())
        gone = []
        for token, known in sessions:
            try:
                alive = bool(known.probe())
            except Exception:  # noqa: BLE001 — a broken probe must not stop the sweep
                logger.exception("session probe failed")
                alive = True
            if alive:
                known.last_alive_s = now
            elif now - known.last_alive_s > self.grace_s:
                gone.append(token)
        with self._lock:
            for token in gone:
                self._sessions.pop(token, None)
                self._by_session.pop(token, None)
                for job in [*self._running.values(), *self._unclaimed]:
                    if token in job.sessions:
                        job.sessions.discard(token)
                        if not job.sessions and not job.done:
                            job.cancel("gone")
                            logger.warning("analysis %s cancelled: its browser sessions "
                                           "have gone", job.key[:12])
            for job in list(self._unclaimed):
                self._release_if_unclaimed(job)
        for token in gone:
            if self.on_gone is not None:
                try:
                    self.on_gone(token)
                except OSError:
                    logger.exception("cleaning up session %s failed", token)
        return gone

    def start_sweeper(self, interval_s: float = SWEEP_INTERVAL_S,
                      extra: Callable[[], None] | None = None) -> None:
        """Sweep every `interval_s` in a daemon thread (and run `extra`), until the
        store is garbage-collected."""
        if self._sweeper is not None:
            return
        ref = weakref.ref(self)

        def loop() -> None:
            while True:
                time.sleep(interval_s)
                store = ref()
                if store is None:
                    return
                try:
                    store.sweep()
                    if extra is not None:
                        extra()
                except Exception:  # noqa: BLE001 — the sweeper must survive one bad pass
                    logger.exception("sweep failed")
                del store

        self._sweeper = threading.Thread(target=loop, name="hipdrive-sweeper", daemon=True)
        self._sweeper.start()
