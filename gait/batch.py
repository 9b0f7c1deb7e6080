"""`gait batch`: analyse many clips, one output folder each, in worker processes.

- Clips: the files given, and the video files (gait.video.ALLOWED_EXTENSIONS) inside the
  folders given (not recursive), in sorted order. Each gets `OUT/<clip stem>/` with the
  analysis contract (DESIGN §5); stems that repeat get `-2`, `-3`, … in that order.
- `OUT/batch.csv`: one row per clip (BATCH_COLUMNS; `reliability_reasons` the verdict's
  reason ids, `analysed_s` the one shot analysed, "from-to" in s, of a clip edited from
  several shots: gait.shots; `seconds` how long the analysis took). A clip the
  engine refuses (not a video, no runner, …) is a row with status `error` and the
  engine's message; it does not stop the others.
- Re-running skips a clip whose folder holds a `.hipdrive-batch.json` receipt for the
  same clip bytes (SHA-256), options and engine version; its row is taken from there.
- Backends: worker processes on this machine (`process_pool`, `jobs` at a time) or Ray
  tasks on a cluster (gait.batch_ray; clip bytes and results travel through Ray's object
  store). Each worker analyses one whole clip and sends back the report and the
  annotated video's bytes; the parent writes the folder and saves into the database
  (optional), one clip at a time.
- Exit status: 0 when every clip was analysed or cleanly refused, 1 when any failed
  otherwise (a crash, a worker that died, saving failed): its row says `error` with a
  message starting "failed:", it gets no receipt, and a re-run tries it again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from gait import __version__
from gait.clip_file import ALLOWED_EXTENSIONS

BATCH_COLUMNS = ("clip", "status", "error", "cadence_spm", "near_peak_thigh_extension_deg",
                 "near_side", "strides_left", "strides_right", "reliability",
                 "reliability_reasons", "analysed_s", "share_path", "delete_path", "output",
                 "seconds")  # seconds: how long the analysis took
RECEIPT_NAME = ".hipdrive-batch.json"
BatchProgress = Callable[[int, int, float | None], None]  # (done, total, seconds left)


@dataclass(frozen=True)
class BatchTask:
    """One clip to analyse into `out_dir`; `options` is an AnalysisOptions as a dict."""

    clip: Path
    out_dir: Path
    options: dict
    with_video: bool
    fingerprint: str  # SHA-256 of clip bytes + options + engine version
    athlete: str | None = None  # with --save: this clip's athlete (--clip-settings)


def find_clips(paths: Iterable[Path]) -> list[Path]:
    """The clips named, and the video files directly inside the folders named, sorted."""
    clips: list[Path] = []
    for path in paths:
        if path.is_dir():
            clips += sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in ALLOWED_EXTENSIONS)
        else:
            clips.append(path)
    return clips


def output_names(clips: list[Path]) -> list[str]:
    """A folder name per clip: its stem, with -2, -3, … for repeats (in order)."""
    seen: dict[str, int] = {}
    names = []
    for clip in clips:
        stem = clip.stem or "clip"
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return names


def fingerprint(clip: Path, options: dict, with_video: bool) -> str:
    """SHA-256 of the clip's bytes, the options and the engine version ('' if unreadable:
    such a clip is never skipped)."""
    digest = hashlib.sha256()
    try:
        with clip.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    digest.update(json.dumps([options, with_video, __version__], sort_keys=True).encode())
    return digest.hexdigest()


def previous_row(task: BatchTask) -> dict | None:
    """The row of an earlier run of the same task (same fingerprint), if complete."""
    receipt = task.out_dir / RECEIPT_NAME
    try:
        saved = json.loads(receipt.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if task.fingerprint and saved.get("fingerprint") == task.fingerprint:
        return saved.get("row")
    return None


@dataclass
class Analysed:
    """What a worker sends back: the report (None when the engine refused the clip, with
    its message in `error`), the annotated video's bytes if asked for, seconds taken."""

    report: object | None
    error: str
    video: bytes | None
    seconds: float
    worker: str = ""  # host:pid of the process that analysed it
    slow_motion: bool = False  # the refusal was gait.result.SlowMotionError


def analyse_path(clip: Path, options: dict, with_video: bool, *,
                 progress: Callable[[str, float, float | None], None] | None = None
                 ) -> Analysed:
    """Run in a worker: analyse one clip file (and draw its annotated video); `progress`
    is the engine's callback. Engine refusals are returned; anything else propagates
    (the parent marks the clip failed)."""
    import tempfile

    from gait.pipeline import analyze_video
    from gait.render import write_report_video
    from gait.result import AnalysisError, AnalysisOptions, SlowMotionError
    from gait.video import VideoError

    started = time.perf_counter()
    analysis_options = AnalysisOptions(**options)
    try:
        # one process per clip: the batch's workers are the parallelism
        report = analyze_video(clip, options=analysis_options, progress=progress, workers=1)
    except (VideoError, AnalysisError) as err:
        return Analysed(None, str(err), None, time.perf_counter() - started,
                        slow_motion=isinstance(err, SlowMotionError))
    video = None
    if with_video:
        with tempfile.TemporaryDirectory(prefix="hipdrive-batch-") as tmp:
            out = Path(tmp) / "annotated.mp4"
            write_report_video(report, clip, out, progress=progress, workers=1)
            video = out.read_bytes()
    return Analysed(report, "", video, time.perf_counter() - started, worker=_worker_name())


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def analyse_bytes(data: bytes, suffix: str, options: dict, with_video: bool, *,
                  progress: Callable[[str, float, float | None], None] | None = None
                  ) -> Analysed:
    """Run in a worker that cannot see the clip's file (a cluster node): the clip's
    bytes go to a private temporary file, which is analysed and deleted."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hipdrive-batch-") as tmp:
        clip = Path(tmp) / f"clip{suffix if suffix in ALLOWED_EXTENSIONS else '.mp4'}"
        clip.write_bytes(data)
        return analyse_path(clip, options, with_video, progress=progress)


def write_analysis(task: BatchTask, analysed: Analysed) -> dict:
    """In the parent: the contract files into the task's folder (all or nothing), and
    its batch.csv row."""
    from gait.outputs import write_outputs
    from gait.report import write_html_report

    if analysed.report is None:
        return _row(task, status="error", error=analysed.error, seconds=analysed.seconds)
    report = analysed.report
    report.summary = report.summary.with_clip_name(task.clip.name)  # not the worker's temp name
    video = analysed.video
    write_outputs(report, task.out_dir,
                  annotated_video=(lambda path: path.write_bytes(video)) if video else None,
                  html_report=lambda path: write_html_report(report, path))
    summary = report.summary
    shot = summary.shot
    return _row(task, status="ok", seconds=analysed.seconds, cadence_spm=summary.cadence_spm,
                near_peak_thigh_extension_deg=summary.near.median("peak_thigh_extension_deg"),
                near_side=summary.near_side, strides_left=summary.side("left").n_strides,
                strides_right=summary.side("right").n_strides, reliability=summary.verdict,
                reliability_reasons="; ".join(reason.id for reason in
                                              summary.reliability.reasons),
                analysed_s=f"{shot.from_s:.1f}-{shot.to_s:.1f}" if shot else "")


def _row(task: BatchTask, *, status: str, seconds: float, error: str = "", **figures) -> dict:
    row = {column: "" for column in BATCH_COLUMNS}
    row.update(clip=str(task.clip), status=status, error=error, output=str(task.out_dir),
               seconds=round(seconds, 1))
    for key, value in figures.items():
        row[key] = (round(value, 2) if isinstance(value, float) and math.isfinite(value)
                    else "" if isinstance(value, float) else value)
    return row


def write_receipt(task: BatchTask, row: dict) -> None:
    task.out_dir.mkdir(parents=True, exist_ok=True)
    (task.out_dir / RECEIPT_NAME).write_text(
        json.dumps({"fingerprint": task.fingerprint, "row": row}), encoding="utf-8")


def write_batch_csv(out: Path, rows: list[dict]) -> Path:
    """OUT/batch.csv (written whole, then moved into place)."""
    path = out / "batch.csv"
    partial = out / ".batch.csv.partial"
    with partial.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(BATCH_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(path)
    return path


@dataclass(frozen=True)
class BatchResult:
    rows: list[dict]  # in task order
    n_failed: int  # rows that failed otherwise than by a clean refusal
    n_skipped: int  # done by an earlier run


# A backend runs the analyses of the tasks it is given and yields (task index, Analysed
# or the exception a worker raised) as each finishes.
Backend = Callable[[list[tuple[int, BatchTask]]], Iterator[tuple[int, object]]]


def process_pool(jobs: int) -> Backend:
    """Worker processes on this machine (`spawn`: MediaPipe is never forked)."""

    def run(todo: list[tuple[int, BatchTask]]) -> Iterator[tuple[int, object]]:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context) as pool:
            futures = {pool.submit(analyse_path, task.clip, task.options, task.with_video): i
                       for i, task in todo}
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except BrokenProcessPool:
                    yield futures[future], RuntimeError(
                        "the worker process died (out of memory?)")
                except Exception as err:  # noqa: BLE001 — one clip's crash, not the batch's
                    yield futures[future], err

    return run


def run_batch(tasks: list[BatchTask], *, backend: Backend, progress: BatchProgress | None = None,
              on_report: Callable[[BatchTask, dict, object], None] | None = None
              ) -> BatchResult:
    """Analyse every task (skipping ones done before) on `backend`; write each one's
    folder here as it finishes. `on_report(task, row, report)` runs here for each new
    analysis (e.g. to save it; it may fill in the row)."""
    rows: dict[int, dict] = {}
    failed: set[int] = set()
    todo = []
    for i, task in enumerate(tasks):
        done = previous_row(task)
        if done is not None:
            rows[i] = done
        else:
            todo.append((i, task))
    started = time.monotonic()
    if progress:
        progress(len(rows), len(tasks), None)
    for n_new, (i, outcome) in enumerate(backend(todo) if todo else [], start=1):
        rows[i], ok = _collect(tasks[i], outcome, on_report)
        if not ok:
            failed.add(i)
        if progress:
            per_clip_s = (time.monotonic() - started) / n_new
            progress(len(rows), len(tasks), per_clip_s * (len(todo) - n_new))
    return BatchResult(rows=[rows[i] for i in range(len(tasks))], n_failed=len(failed),
                       n_skipped=len(tasks) - len(todo))


def _collect(task: BatchTask, outcome: object, on_report) -> tuple[dict, bool]:
    """(row, True) for a worker's Analysed; (failed row, False) for an exception, or if
    writing or saving fails (never raised)."""
    if isinstance(outcome, BaseException) or not isinstance(outcome, Analysed):
        return _failed(task, f"{type(outcome).__name__}: {outcome}"), False
    try:
        row = write_analysis(task, outcome)
    except OSError as err:
        return _failed(task, f"could not write its folder: {err}"), False
    if outcome.report is not None and on_report is not None:
        try:
            on_report(task, row, outcome.report)
        except Exception as err:  # noqa: BLE001 — saving one clip must not stop the batch
            return _failed(task, f"analysed, but saving failed: {err}"), False
    write_receipt(task, row)
    return row, True


def _failed(task: BatchTask, message: str) -> dict:
    row = {column: "" for column in BATCH_COLUMNS}
    row.update(clip=str(task.clip), status="error", error=f"failed: {message}",
               output=str(task.out_dir))
    return row
