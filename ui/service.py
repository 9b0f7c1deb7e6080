"""The analysis service: runs `gait.pipeline.analyze_video` and the annotated-video
renderer once per (clip content, options) and caches the result for the process.

The cache is shared by all sessions but keyed by a SHA-256 of the clip's bytes and
the options, never by a file name: a session only ever gets the analysis of bytes it
uploaded itself. What a session has analysed is kept in its own `st.session_state`
(see `ui.state`), so sessions never see each other's results.

Uploads are written to a temporary file with a generated name (never the user's file
name) and deleted after the analysis. Annotated videos are kept in
`<data dir>/videos/<key>.mp4`; the oldest are pruned beyond MAX_VIDEOS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from gait import __version__
from gait.pipeline import AnalysisOptions, GaitReport
from gait.video import ALLOWED_EXTENSIONS as VIDEO_SUFFIXES
from ui.paths import sub_dir

logger = logging.getLogger(__name__)

Progress = Callable[[str, float, float | None], None]
MAX_ENTRIES = 24  # analyses kept in memory (a report is ~1 MB)
MAX_VIDEOS = 64  # annotated videos kept on disk
STALE_UPLOAD_S = 3600.0
POLL_S = 0.25  # how often a waiting page shows the job's progress


@dataclass(frozen=True)
class Analysis:
    """One finished analysis: the engine's report and the annotated video (if made)."""

    key: str
    report: GaitReport
    video_path: Path | None


class Job:
    """An analysis running in the worker pool; `state` is its latest progress report."""

    def __init__(self) -> None:
        self.state: tuple[str, float, float | None] = ("queue", 0.0, None)
        self.future: Future[Analysis] | None = None

    def report(self, stage: str, fraction: float, eta_s: float | None) -> None:
        self.state = (stage, fraction, eta_s)  # one tuple assignment: safe to read anywhere


class AnalysisStore:
    """Finished analyses (thread-safe LRU) and the analyses in flight.

    Analyses run in a small worker pool, not in the page's script thread: a runner
    who taps another page meanwhile does not abort the run (Streamlit stops a script
    at its next element update), and two sessions sending the same clip at once (a
    workshop pressing "Try the sample run") share one run. The pool size bounds how
    many pose extractions (about one core each) run in parallel; the rest queue.
    """

    def __init__(self, *, max_entries: int = MAX_ENTRIES, max_parallel: int = 2) -> None:
        self.max_entries = max_entries
        self.runs = 0  # analyses actually computed (cache misses)
        self._pool = ThreadPoolExecutor(max_workers=max_parallel,
                                        thread_name_prefix="hipdrive-analysis")
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Analysis] = OrderedDict()
        self._running: dict[str, Job] = {}

    def get(self, key: str) -> Analysis | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit.video_path is not None and not hit.video_path.exists():
                hit = None  # the video was pruned: analyse again
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, analysis: Analysis) -> None:
        with self._lock:
            self._entries[analysis.key] = analysis
            self._entries.move_to_end(analysis.key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            self.runs += 1

    def submit(self, key: str, work: Callable[[Progress], Analysis]) -> Job:
        """The running job for `key`, or a new one running `work(progress)`."""
        with self._lock:
            job = self._running.get(key)
            if job is None:
                job = Job()
                job.future = self._pool.submit(self._run_job, key, job, work)
                self._running[key] = job
            return job

    def _run_job(self, key: str, job: Job, work: Callable[[Progress], Analysis]) -> Analysis:
        try:
            analysis = work(job.report)
            self.put(analysis)
            return analysis
        finally:
            with self._lock:
                self._running.pop(key, None)


@st.cache_resource(show_spinner=False)
def analysis_store() -> AnalysisStore:
    """The process-wide store (one per server process)."""
    parallel = int(os.environ.get("HIPDRIVE_MAX_PARALLEL", "0")) or max(1, (os.cpu_count() or 2)
                                                                          // 2)
    return AnalysisStore(max_parallel=parallel)


def analysis_key(data: bytes, options: AnalysisOptions) -> str:
    """SHA-256 of the clip bytes, the options and the engine version."""
    clip = hashlib.sha256(data).hexdigest()
    opts = json.dumps(dataclasses.asdict(options), sort_keys=True)
    return hashlib.sha256(f"{clip}|{opts}|{__version__}".encode()).hexdigest()[:40]


def safe_suffix(file_name: str | None) -> str:
    """A known video suffix taken from the user's file name, else '.mp4' (the name
    itself is never used as a path; the decoder reads the content anyway)."""
    suffix = Path(file_name or "").suffix.lower()
    return suffix if suffix in VIDEO_SUFFIXES else ".mp4"


def analyze_clip(data: bytes, *, options: AnalysisOptions, suffix: str = ".mp4",
                 progress: Progress | None = None, store: AnalysisStore | None = None,
                 with_video: bool = True) -> Analysis:
    """The cached analysis of `data` (a clip's bytes) with `options`, waiting for it
    (and passing on its progress) if it has to run.

    Raises gait.video.VideoError / gait.pipeline.AnalysisError with a user-facing
    message when the clip cannot be analysed.
    """
    store = store or analysis_store()
    key = analysis_key(data, options)
    hit = store.get(key)
    if hit is not None:
        return hit

    def work(report: Progress) -> Analysis:
        return _run(data, key=key, options=options, suffix=suffix, progress=report,
                    with_video=with_video)

    job = store.submit(key, work)
    while True:
        try:
            return job.future.result(timeout=POLL_S)
        except FutureTimeout:
            if progress:
                progress(*job.state)


def _run(data: bytes, *, key: str, options: AnalysisOptions, suffix: str,
         progress: Progress | None, with_video: bool) -> Analysis:
    from gait.pipeline import analyze_video

    uploads = sub_dir("uploads")
    _remove_stale(uploads, older_than_s=STALE_UPLOAD_S)  # left by a crashed process
    fd, name = tempfile.mkstemp(prefix="hipdrive-upload-", suffix=suffix, dir=uploads)
    clip = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        report = analyze_video(clip, options=options, progress=progress)
        report.summary["video"]["file"] = None  # the temp name means nothing to anyone
        video_path = _render_video(clip, key, report, options, progress) if with_video else None
    finally:
        clip.unlink(missing_ok=True)
    return Analysis(key=key, report=report, video_path=video_path)


def _render_video(clip: Path, key: str, report: GaitReport, options: AnalysisOptions,
                  progress: Progress | None) -> Path | None:
    """The annotated MP4, or None (logged) if it cannot be written: the numbers are
    still worth showing."""
    from gait.render import write_report_video

    out = sub_dir("videos") / f"{key}.mp4"
    try:
        write_report_video(report, clip, out, capture_fps=options.capture_fps,
                           progress=progress)
    except Exception:  # noqa: BLE001 — any renderer failure must not lose the analysis
        logger.exception("annotated video failed for %s", key)
        return None
    _prune(out.parent, keep=MAX_VIDEOS)
    return out


def _remove_stale(folder: Path, *, older_than_s: float) -> None:
    now = time.time()
    for path in folder.glob("hipdrive-upload-*"):
        with contextlib.suppress(OSError):  # another process may remove it first
            if now - path.stat().st_mtime > older_than_s:
                path.unlink()


def _prune(folder: Path, *, keep: int) -> None:
    videos = sorted(folder.glob("*.mp4"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in videos[keep:]:
        old.unlink(missing_ok=True)
