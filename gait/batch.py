"""`gait batch`: analyse many clips, one output folder each, in worker processes.

- Clips: the files given, and the video files (gait.video.ALLOWED_EXTENSIONS) inside the
  folders given (not recursive), in sorted order. Each gets `OUT/<clip stem>/` with the
  analysis contract (DESIGN §5); stems that repeat get `-2`, `-3`, … in that order.
- `OUT/batch.csv`: one row per clip (BATCH_COLUMNS). A clip the engine refuses (not a
  video, no runner, …) is a row with status `error` and the engine's message; it does
  not stop the others.
- Re-running skips a clip whose folder holds a `.hipdrive-batch.json` receipt for the
  same clip bytes (SHA-256), options and engine version; its row is taken from there.
- Workers are separate processes (`spawn`: MediaPipe is never forked), `jobs` at a time;
  each analyses one whole clip. Saving into the database (optional) happens here, in
  the parent, one clip at a time.
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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path

from gait import __version__
from gait.clip_file import ALLOWED_EXTENSIONS

BATCH_COLUMNS = ("clip", "status", "error", "cadence_spm", "near_peak_thigh_extension_deg",
                 "reliability", "share_path", "delete_path", "output", "seconds")
RECEIPT_NAME = ".hipdrive-batch.json"
Progress = Callable[[int, int, float | None], None]  # (done, total, seconds left)


@dataclass(frozen=True)
class BatchTask:
    """One clip to analyse into `out_dir`; `options` is an AnalysisOptions as a dict."""

    clip: Path
    out_dir: Path
    options: dict
    with_video: bool
    fingerprint: str  # SHA-256 of clip bytes + options + engine version


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


def analyse_one(task: BatchTask) -> tuple[dict, object | None]:
    """Run in a worker: analyse one clip into its folder. Returns (row, report or None).
    Engine refusals become an `error` row; anything else propagates (the parent marks
    the clip failed)."""
    from gait.outputs import write_outputs
    from gait.pipeline import AnalysisError, AnalysisOptions, analyze_video
    from gait.render import write_report_video
    from gait.report import write_html_report
    from gait.video import VideoError

    started = time.perf_counter()
    options = AnalysisOptions(**task.options)
    try:
        report = analyze_video(task.clip, options=options)
    except (VideoError, AnalysisError) as err:
        return _row(task, status="error", error=str(err), started=started), None

    def video(path: Path) -> None:
        write_report_video(report, task.clip, path, capture_fps=options.capture_fps)

    write_outputs(report, task.out_dir, annotated_video=video if task.with_video else None,
                  html_report=lambda path: write_html_report(report, path))
    summary = report.summary
    near = summary["per_side"][summary["near_side"]]["peak_thigh_extension_deg"]["median"]
    row = _row(task, status="ok", started=started, cadence_spm=summary.get("cadence_spm"),
               near_peak_thigh_extension_deg=near,
               reliability=(summary.get("reliability") or {}).get("verdict", ""))
    return row, report


def _row(task: BatchTask, *, status: str, started: float, error: str = "", **figures) -> dict:
    row = {column: "" for column in BATCH_COLUMNS}
    row.update(clip=str(task.clip), status=status, error=error, output=str(task.out_dir),
               seconds=round(time.perf_counter() - started, 1))
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


def run_batch(tasks: list[BatchTask], *, jobs: int, progress: Progress | None = None,
              on_report: Callable[[BatchTask, dict, object], None] | None = None
              ) -> BatchResult:
    """Analyse every task (skipping ones done before), `jobs` worker processes at a
    time. `on_report(task, row, report)` runs in this process for each new analysis
    (e.g. to save it; it may fill in the row)."""
    rows: dict[int, dict] = {}
    failed: set[int] = set()
    todo = []
    for i, task in enumerate(tasks):
        done = previous_row(task)
        if done is not None:
            rows[i] = done
        else:
            todo.append(i)
    started = time.monotonic()
    if progress:
        progress(len(rows), len(tasks), None)
    if todo:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context) as pool:
            futures = {pool.submit(analyse_one, tasks[i]): i for i in todo}
            for n_new, future in enumerate(as_completed(futures), start=1):
                i = futures[future]
                rows[i], ok = _collect(tasks[i], future, on_report)
                if not ok:
                    failed.add(i)
                if progress:
                    per_clip_s = (time.monotonic() - started) / n_new
                    progress(len(rows), len(tasks), per_clip_s * (len(todo) - n_new))
    return BatchResult(rows=[rows[i] for i in range(len(tasks))], n_failed=len(failed),
                       n_skipped=len(tasks) - len(todo))


def _collect(task: BatchTask, future, on_report) -> tuple[dict, bool]:
    """(row, True) of a finished worker; (failed row, False) if it crashed or saving
    failed (never raised)."""
    try:
        row, report = future.result()
    except BrokenProcessPool:
        return _failed(task, "the worker process died (out of memory?)"), False
    except Exception as err:  # noqa: BLE001 — one clip's failure must not stop the batch
        return _failed(task, f"{type(err).__name__}: {err}"), False
    if report is not None and on_report is not None:
        try:
            on_report(task, row, report)
        except Exception as err:  # noqa: BLE001 — saving one clip must not stop the batch
            return _failed(task, f"analysed, but saving failed: {err}"), False
    write_receipt(task, row)
    return row, True


def _failed(task: BatchTask, message: str) -> dict:
    row = {column: "" for column in BATCH_COLUMNS}
    row.update(clip=str(task.clip), status="error", error=f"failed: {message}",
               output=str(task.out_dir))
    return row


def options_dict(options) -> dict:
    """AnalysisOptions → a plain dict that crosses process boundaries."""
    return asdict(options)
