"""The analysis service: runs `gait.pipeline.analyze_video` and the annotated-video
renderer in the job store of `ui.jobs` (one per server process) and wires it to
Streamlit sessions.

- Uploads are spooled to disk while they are hashed (`spool_upload`), under the
  session's own folder, with generated names (never the user's file name). The job
  reads its own hard link of the spool, deleted when the job ends; the session's
  spool is deleted right after submitting unless "keep my original video" needs it.
- The cache is shared by all sessions but keyed by a SHA-256 of the clip's bytes and
  the options, never by a file name, and holds reports only: a session only ever
  gets the analysis of bytes it uploaded itself.
- Everything derived from a runner's frames that was not saved lives in
  `<data>/sessions/<process>/<session>/` (a private annotated video per result) and
  is deleted when the result is removed, or when the tab has been closed for
  HIPDRIVE_SESSION_GRACE_S (checked every few seconds through Streamlit's runtime).
  Folders of a process that stopped are removed by the next one.

Limits (environment): HIPDRIVE_MAX_PARALLEL jobs at once (default: the CPUs divided by
the threads one analysis uses, HIPDRIVE_ANALYSIS_WORKERS; 8 with HIPDRIVE_RAY_ADDRESS),
HIPDRIVE_MAX_QUEUED waiting (default 4), HIPDRIVE_JOB_TIMEOUT_S per job (default
600), HIPDRIVE_SESSION_GRACE_S (default 120).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gait import __version__
from gait.ray_jobs import RayAnalyses, ray_analyses_from_env
from gait.result import AnalysisError, AnalysisOptions, GaitReport, SlowMotionError
from gait.segments import default_workers
from gait.store.location import data_dir
from gait.video import ALLOWED_EXTENSIONS as VIDEO_SUFFIXES
from ui.jobs import (
    DEFAULT_GRACE_S,
    DEFAULT_MAX_QUEUED,
    DEFAULT_TIMEOUT_S,
    Analysis,
    AnalysisJobs,
    Job,
    JobCancelled,
    Numbers,
    Progress,
)
from ui.paths import SESSIONS, private_dir, sessions_root, sub_dir

__all__ = ["VIDEO_SUFFIXES", "Analysis", "AnalysisJobs", "Job", "Spool", "analysis_key",
           "analysis_jobs", "safe_suffix", "session_token", "spool_upload", "start_analysis"]

logger = logging.getLogger(__name__)

TOKEN_KEY = "hipdrive_session_token"
CHUNK_BYTES = 1 << 20
STALE_LEGACY_S = 3600.0
DEAD_PROCESS_S = 600.0  # a process folder whose heartbeat is older belongs to a stopped app
HEARTBEAT = "heartbeat"


@dataclass(frozen=True)
class Spool:
    """A clip on disk: `path`, the SHA-256 `digest` of its bytes, and whether it is a
    spooled upload of ours to delete (`owned`) or a file we must leave (the sample)."""

    path: Path
    digest: str
    owned: bool = True


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        logger.warning("%s=%r is not a number; using %s", name, text, default)
        return default
    return value if value > 0 else default


def _default_parallel() -> int:
    """Jobs at once: with Ray, 8 in flight (the cluster does the work); here, the CPUs
    divided by the threads one analysis uses (gait.segments.default_workers)."""
    if os.environ.get("HIPDRIVE_RAY_ADDRESS", "").strip():
        return 8
    return max(1, len(os.sched_getaffinity(0)) // default_workers())


def _log_jobs_to_stderr() -> None:
    """Job events (where and how long an analysis ran) go to the server's stderr at INFO
    level; Streamlit configures only its own loggers."""
    jobs_logger = logging.getLogger("ui")
    if not jobs_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        jobs_logger.addHandler(handler)
        jobs_logger.setLevel(logging.INFO)


@st.cache_resource(show_spinner=False)
def analysis_jobs() -> AnalysisJobs:
    """The process-wide store (one per server process), with its sweeper running."""
    _log_jobs_to_stderr()
    parallel = int(_env_number("HIPDRIVE_MAX_PARALLEL", _default_parallel()))
    store = AnalysisJobs(
        max_parallel=parallel,
        max_queued=int(_env_number("HIPDRIVE_MAX_QUEUED", DEFAULT_MAX_QUEUED)),
        timeout_s=_env_number("HIPDRIVE_JOB_TIMEOUT_S", DEFAULT_TIMEOUT_S),
        grace_s=_env_number("HIPDRIVE_SESSION_GRACE_S", DEFAULT_GRACE_S))
    store.instance = uuid.uuid4().hex[:16]
    store.data_root = data_dir()  # fixed for this store, whatever the environment says later
    store.on_gone = lambda token: remove_session_files(store, token)
    sweep_files(store)
    store.start_sweeper(extra=lambda: sweep_files(store))
    return store


# --- sessions and their folders -----------------------------------------------------------

def instance_dir(store: AnalysisJobs) -> Path:
    """This process's folder of unsaved, per-session files."""
    return private_dir(_sessions_root(store) / getattr(store, "instance", "default"))


def _sessions_root(store: AnalysisJobs) -> Path:
    root = getattr(store, "data_root", None)
    return private_dir(root / SESSIONS) if root is not None else sessions_root()


def session_dir(store: AnalysisJobs, token: str) -> Path:
    return private_dir(instance_dir(store) / token)


def session_token(store: AnalysisJobs | None = None) -> str:
    """This browser session's token (made on first use) — registered with the store
    with a probe asking Streamlit's runtime whether the tab is still connected."""
    store = store or analysis_jobs()
    token = st.session_state.get(TOKEN_KEY)
    if token is None:
        token = secrets.token_hex(16)
        st.session_state[TOKEN_KEY] = token
    store.register(token, _liveness_probe())
    return token


def _liveness_probe() -> Callable[[], bool]:
    """True while the current Streamlit session is connected (unknown: True)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return lambda: True
    session_id = ctx.session_id

    def alive() -> bool:
        if not runtime.exists():  # no server (tests, bare mode): cannot tell
            return True
        return bool(runtime.get_instance().is_active_session(session_id))

    return alive


def remove_session_files(store: AnalysisJobs, token: str) -> None:
    """Delete a gone session's folder (its unsaved annotated videos and spools)."""
    shutil.rmtree(instance_dir(store) / token, ignore_errors=True)


def sweep_files(store: AnalysisJobs) -> None:
    """Heartbeat this process's folder; remove folders of stopped processes, and the
    videos and uploads earlier versions left in `<data>/videos` and `<data>/uploads`."""
    mine = instance_dir(store)
    (mine / HEARTBEAT).touch()
    now = time.time()
    for other in _sessions_root(store).iterdir():
        if other == mine or not other.is_dir():
            continue
        beat = other / HEARTBEAT
        last = beat.stat().st_mtime if beat.exists() else other.stat().st_mtime
        if now - last > DEAD_PROCESS_S:
            shutil.rmtree(other, ignore_errors=True)
    root = _sessions_root(store).parent
    for legacy, pattern, age_s in (("videos", "*.mp4", 0.0),
                                   ("uploads", "hipdrive-upload-*", STALE_LEGACY_S)):
        for path in (root / legacy).glob(pattern):
            with contextlib.suppress(OSError):  # another process may remove it first
                if now - path.stat().st_mtime >= age_s:
                    path.unlink()


# --- keys and spooling ---------------------------------------------------------------------

def analysis_key(data: bytes, options: AnalysisOptions) -> str:
    """SHA-256 of the clip bytes, the options and the engine version."""
    return key_for_digest(hashlib.sha256(data).hexdigest(), options)


def key_for_digest(clip_sha256: str, options: AnalysisOptions) -> str:
    opts = json.dumps(dataclasses.asdict(options), sort_keys=True)
    return hashlib.sha256(f"{clip_sha256}|{opts}|{__version__}".encode()).hexdigest()[:40]


def safe_suffix(file_name: str | None) -> str:
    """A known video suffix taken from the user's file name, else '.mp4' (the name
    itself is never used as a path; the decoder reads the content anyway)."""
    suffix = Path(file_name or "").suffix.lower()
    return suffix if suffix in VIDEO_SUFFIXES else ".mp4"


def spool_upload(source: bytes | BinaryIO, folder: Path, *, suffix: str) -> Spool:
    """Write `source` (bytes or a readable file) to a new 0600 file in `folder` in
    1 MiB blocks, hashing while writing."""
    path = folder / f"spool-{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        blocks = (view[i:i + CHUNK_BYTES] for i in range(0, len(view), CHUNK_BYTES))
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        blocks = iter(lambda: source.read(CHUNK_BYTES), b"")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in blocks:
                digest.update(block)
                out.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spool(path=path, digest=digest.hexdigest())


def spool_file(path: Path) -> Spool:
    """One of our own files (the sample clip) as a clip to analyse; never deleted."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(block)
    return Spool(path=Path(path), digest=digest.hexdigest(), owned=False)


# --- running -------------------------------------------------------------------------------

def start_analysis(spool: Spool, *, options: AnalysisOptions, session: str,
                   shared_video: bool = False, store: AnalysisJobs | None = None
                   ) -> Job | Analysis:
    """The finished analysis if it is cached with everything needed, else the job
    computing it for `session`. `shared_video`: our own clip (the sample), whose video
    may be cached and shown to anyone; otherwise the video is private to the sessions
    that sent the clip. The caller keeps (and deletes) its spool.

    Raises ui.jobs.Busy / AlreadyRunning when the job cannot start.
    """
    store = store or analysis_jobs()
    key = key_for_digest(spool.digest, options)
    hit = store.get(key)
    if hit is not None and shared_video and hit.video_path is not None:
        return hit
    clip = spool.path
    if spool.owned:  # the job's own link: the session may delete its spool meanwhile
        clip = private_dir(instance_dir(store) / "jobs") / f"{uuid.uuid4().hex}{spool.path.suffix}"
        try:
            os.link(spool.path, clip)
        except OSError:
            shutil.copyfile(spool.path, clip)
    video_out = (sub_dir("sample") / f"annotated-{key}.mp4" if shared_video
                 else private_dir(instance_dir(store) / "jobs") / f"{uuid.uuid4().hex}.mp4")

    cluster = ray_analyses()
    numbers = Numbers()

    def work(progress: Progress) -> Analysis:
        if cluster is not None:
            report, video = _on_cluster(cluster, clip, video_out, key, options, progress)
            return Analysis(key=key, report=report, video_path=video,
                            private_video=not shared_video)
        cached = store.get(key)  # the report may be cached without a video
        report = cached.report if cached is not None else _analyze(clip, options, progress)
        numbers.report = report  # the page can show the numbers while the video is made
        video = _render_video(clip, video_out, key, report, progress)
        return Analysis(key=key, report=report, video_path=video,
                        private_video=not shared_video)

    def cleanup() -> None:
        if spool.owned:
            clip.unlink(missing_ok=True)

    try:
        job = store.submit(key, work, session=session, cleanup=cleanup, numbers=numbers)
    except BaseException:
        cleanup()
        raise
    if job.work is not work:
        cleanup()  # joined a job already running for this clip
    return job


@st.cache_resource(show_spinner=False)
def ray_analyses() -> RayAnalyses | None:
    """The Ray cluster this process submits analyses to (HIPDRIVE_RAY_ADDRESS), or
    None: analyses run in this process's worker threads."""
    return ray_analyses_from_env()


def _on_cluster(cluster: RayAnalyses, clip: Path, out: Path, key: str,
                options: AnalysisOptions, progress: Progress
                ) -> tuple[GaitReport, Path | None]:
    """The analysis and its annotated video made by a Ray task; the video's bytes are
    written here to `out` (0600). The engine's refusal is raised as AnalysisError."""
    analysed = cluster.run(clip, options=dataclasses.asdict(options), with_video=True,
                           key=key, progress=progress)
    if analysed.report is None:  # the type tells the page to say where the capture rate goes
        raise (SlowMotionError if analysed.slow_motion else AnalysisError)(analysed.error)
    logger.info("job %s analysed on the Ray cluster by %s in %.1f s", key[:12],
                analysed.worker, analysed.seconds)
    report = analysed.report
    report.summary = report.summary.with_clip_name(None)
    if analysed.video is None:
        return report, None
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(analysed.video)
    return report, out


def _analyze(clip: Path, options: AnalysisOptions, progress: Progress) -> GaitReport:
    from gait.pipeline import analyze_video

    report = analyze_video(clip, options=options, progress=progress)
    report.summary = report.summary.with_clip_name(None)  # the spool's name means nothing
    return report


def _render_video(clip: Path, out: Path, key: str, report: GaitReport,
                  progress: Progress | None) -> Path | None:
    """The annotated MP4 (0600) at `out`, or None (logged) if it cannot be written: the
    numbers are still worth showing. A cancelled job stops here too."""
    from gait.render import write_report_video

    try:
        write_report_video(report, clip, out, progress=progress)
    except JobCancelled:
        raise
    except Exception:  # noqa: BLE001 — any renderer failure must not lose the analysis
        logger.exception("annotated video failed for %s", key)
        return None
    os.chmod(out, 0o600)
    return out
