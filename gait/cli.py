"""Command line: `gait analyze VIDEO --out DIR [options]` (the analysis contract), and
`--save [--athlete NAME]` to save into the HipDrive database and print the share path.

Bad input (a bad option, a bad `--out`, a clip that cannot be analysed) exits with
status 2 and one line `error: <what is wrong and what to do>` on stderr, before any work
where it can be known before; nothing is written to DIR unless every output is complete.
SIGTERM is handled like Ctrl-C: the run stops, nothing is left behind (no staging
folder), one `error:` line; exit status 2 (Ctrl-C: 130).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from gait import __version__


@contextlib.contextmanager
def _native_logs_silenced() -> Iterator[object]:
    """Send file descriptor 2 to /dev/null while the analysis runs (MediaPipe's C++
    start-up log lines cannot be turned off otherwise) and yield a stream to the real
    stderr for the progress bar. HIPDRIVE_DEBUG=1 keeps everything."""
    if os.environ.get("HIPDRIVE_DEBUG"):
        yield sys.stderr
        return
    sys.stderr.flush()
    saved_fd = os.dup(2)
    devnull_fd = os.open(os.devnull, os.O_WRONLY)
    real_stderr = os.fdopen(os.dup(saved_fd), "w", buffering=1, encoding="utf-8")
    os.dup2(devnull_fd, 2)
    try:
        yield real_stderr
    finally:
        sys.stderr.flush()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull_fd)
        real_stderr.close()


class _ProgressBar:
    """A one-line progress bar on stderr: stage, percent, time left."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.last_stage = ""

    def __call__(self, stage: str, fraction: float, eta_s: float | None) -> None:
        width = 30
        filled = int(round(width * min(max(fraction, 0.0), 1.0)))
        eta = f" {eta_s:4.0f} s left" if eta_s is not None and fraction < 1 else " " * 12
        if stage != self.last_stage and self.last_stage:
            self.stream.write("\n")
        self.last_stage = stage
        self.stream.write(f"\r{stage:<10} [{'#' * filled}{'.' * (width - filled)}] "
                          f"{100 * fraction:3.0f}%{eta}")
        self.stream.flush()

    def finish(self) -> None:
        if self.last_stage:
            self.stream.write("\n")


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error contract: one `error:` line, exit 2, no usage block."""

    def error(self, message: str):  # noqa: D102 — argparse's hook
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _number(text: str) -> float:
    """A finite number (range checks are AnalysisOptions', the one set of bounds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _workers(text: str) -> int:
    """A whole number of threads from 1 to 64."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number from 1 to 64")
    return int(text)


CAPTURE_FPS_HINT = "the capture rate: --capture-fps N"
CAMERA_HEIGHTS = ("hip", "low")  # gait.result.CAMERA_HEIGHTS (imported late: see _options)
CAMERA_HEIGHT_HELP = ("where the phone was: hip (about hip height, as the filming guide asks) "
                      "or low (near the floor or a treadmill's belt: thigh and knee angles "
                      "are then not compared with the reference); default: not said")
OPTION_FLAGS = {"speed_mps": "--speed", "height_m": "--height", "capture_fps": "--capture-fps"}
POSE_MODEL_CHOICES = ("full", "heavy")  # gait.pose_models.POSE_MODELS (not imported: start-up)
POSE_MODEL_HELP = ("BlazePose model: heavy (default; closer thigh angles, installed by "
                   "scripts/setup.sh) or full (about half the analysis time, less exact)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gait", description="HipDrive running analysis")
    parser.add_argument("--version", action="version", version=f"hipdrive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    analyze = sub.add_parser("analyze", help="analyse a side-view running clip")
    analyze.add_argument("video", type=Path)
    analyze.add_argument("--out", type=Path, help="output folder (needed unless --save)")
    analyze.add_argument("--speed", type=_number, metavar="M_PER_S",
                         help="running (treadmill) speed in m/s")
    analyze.add_argument("--treadmill", action="store_true", default=None,
                         help="the clip was filmed on a treadmill (default: detect)")
    analyze.add_argument("--height", type=_number, metavar="M",
                         help="runner's height in metres (improves the speed estimate)")
    analyze.add_argument("--capture-fps", type=_number, metavar="N",
                         help="real capture rate of a slow-motion clip, frames/s")
    analyze.add_argument("--pose-model", choices=POSE_MODEL_CHOICES, default="heavy",
                         help=POSE_MODEL_HELP)
    analyze.add_argument("--camera-height", choices=CAMERA_HEIGHTS, help=CAMERA_HEIGHT_HELP)
    analyze.add_argument("--no-video", action="store_true", help="skip annotated.mp4")
    analyze.add_argument("--quiet", action="store_true", help="no progress bar")
    analyze.add_argument("--workers", type=_workers, metavar="N",
                         help="threads (cores) for this clip (default: "
                              "$HIPDRIVE_ANALYSIS_WORKERS or the CPUs, at most 4; 1: one)")
    saving = analyze.add_argument_group(
        "saving", "save into the HipDrive database (HIPDRIVE_DATABASE_URL, default SQLite in "
        "HIPDRIVE_DATA_DIR) and print the share link path")
    saving.add_argument("--save", action="store_true", help="save the analysis")
    saving.add_argument("--athlete", metavar="NAME",
                        help="athlete name: the analysis joins the squad under this name")
    saving.add_argument("--note", help="a note shown with the saved analysis")
    saving.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD",
                        help="the day the clip was filmed (default: today)")
    saving.add_argument("--keep-video", action="store_true",
                        help="also keep the original clip (not kept by default)")
    saving.add_argument("--keep-annotated", action="store_true",
                        help="also keep the annotated video (not kept by default)")
    _add_batch_parser(sub)
    return parser


def _add_batch_parser(sub) -> None:
    batch = sub.add_parser("batch", help="analyse many clips, one output folder each")
    batch.add_argument("clips", type=Path, nargs="*", metavar="CLIP_OR_FOLDER",
                       help="clips, and folders of clips (default: --clip-settings' clips)")
    batch.add_argument("--clip-settings", type=Path, metavar="CSV",
                       help="each clip's own settings, a row per clip (columns: clip, "
                            "speed_m_per_s, treadmill, height_m, capture_fps, camera_height, "
                            "athlete); an empty cell takes the flag's value")
    batch.add_argument("--out", type=Path, required=True, help="output folder of the batch")
    batch.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="clips analysed at once, one process each (default 1)")
    batch.add_argument("--speed", type=_number, metavar="M_PER_S",
                       help="running (treadmill) speed in m/s, for every clip")
    batch.add_argument("--treadmill", action="store_true", default=None,
                       help="every clip was filmed on a treadmill (default: detect)")
    batch.add_argument("--height", type=_number, metavar="M", help="runner's height, m")
    batch.add_argument("--capture-fps", type=_number, metavar="N",
                       help="real capture rate of slow-motion clips, frames/s")
    batch.add_argument("--pose-model", choices=POSE_MODEL_CHOICES, default="heavy",
                       help=POSE_MODEL_HELP)
    batch.add_argument("--camera-height", choices=CAMERA_HEIGHTS,
                       help=CAMERA_HEIGHT_HELP.replace("the phone", "the phone of every clip"))
    batch.add_argument("--no-video", action="store_true", help="skip annotated.mp4")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument("--ray", metavar="ADDRESS",
                       help="run on a Ray cluster (host:port, or 'local' for a private one "
                            "with --jobs CPUs); default HIPDRIVE_RAY_ADDRESS, else processes")
    batch.add_argument("--save", action="store_true", help="save every analysis")
    who = batch.add_mutually_exclusive_group()
    who.add_argument("--athlete", metavar="NAME", help="with --save: the athlete of every clip")
    who.add_argument("--athlete-from-folder", action="store_true",
                     help="with --save: each clip's athlete is the name of its folder")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text} (give YYYY-MM-DD)") from None


def _check_args(args: argparse.Namespace) -> None:
    from gait.result import AnalysisError

    if args.out is None and not args.save:
        raise AnalysisError("say where the results go: --out DIR, and/or --save")
    if not args.save and (args.athlete or args.note or args.date or args.keep_video
                          or args.keep_annotated):
        raise AnalysisError("--athlete, --note, --date, --keep-video and --keep-annotated "
                            "only apply with --save")
    if args.keep_annotated and args.no_video:
        raise AnalysisError("--keep-annotated needs the annotated video: drop --no-video")
    if args.out is not None:
        check_out_dir(Path(args.out))


def check_out_dir(out: Path) -> None:
    """`--out` must be (or become) a folder we can write, known before any work."""
    from gait.result import AnalysisError

    if out.exists() and not out.is_dir():
        raise AnalysisError(f"--out {out} is a file, not a folder; give a folder for the "
                            "results (it is created if missing)")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise AnalysisError(f"--out {out}: {existing} is a file, so no folder can be made "
                            "there; give another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise AnalysisError(f"--out {out}: cannot write in {existing} (permission denied); "
                            "give a folder you can write to")


def _options(args: argparse.Namespace):
    """AnalysisOptions from the flags; a value out of range names its flag."""
    from gait.result import AnalysisError, AnalysisOptions, OptionError

    try:
        return AnalysisOptions(speed_mps=args.speed, treadmill=args.treadmill,
                               height_m=args.height, capture_fps=args.capture_fps,
                               pose_model=args.pose_model, camera_height=args.camera_height)
    except OptionError as err:
        flag = next((f for field, f in OPTION_FLAGS.items() if field == err.field), "")
        raise AnalysisError(f"{flag}: {err}" if flag else str(err)) from None


def final_line(reliability) -> str:
    """The verdict line (`gait.reliability.verdict_line`), with the flag that fixes a
    slowed-down clip when that is among the reasons."""
    from gait.reliability import CAPTURE_RATE_REASONS, verdict_line

    line = verdict_line(reliability)
    if any(reason.id in CAPTURE_RATE_REASONS for reason in reliability.reasons):
        line += f" ({CAPTURE_FPS_HINT})"
    return line


def run_analyze(args: argparse.Namespace) -> int:

    _check_args(args)
    options = _options(args)
    started = time.perf_counter()
    with _native_logs_silenced() as real_stderr:
        progress = None if args.quiet else _ProgressBar(real_stderr)
        try:
            report, receipt = _analyze_and_write(args, options, progress)
        finally:
            if progress:
                progress.finish()
    try:
        _print_result(report, receipt, args.out, seconds=time.perf_counter() - started)
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
    except BrokenPipeError:
        # the reader stopped listening (`gait analyze … | head -1`): the outputs are
        # written, so stop printing quietly; stdout goes to /dev/null so that Python's
        # own flush at exit does not report the closed pipe either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _levelled_words(levelled_by_deg: float | None) -> str:
    """How the picture was levelled (gait.level), for the summary line: nothing when no
    true vertical was found."""
    if levelled_by_deg is None:
        return ""
    if abs(levelled_by_deg) < 0.05:
        return " (picture level: its true vertical was found)"
    return f" (picture levelled by {levelled_by_deg:+.1f}°)"


def _print_result(report, receipt, out: Path | None, *, seconds: float) -> None:
    """The summary line, the files written, the saved links and the verdict (last)."""
    s = report.summary
    ext = s.near.median("peak_thigh_extension_deg")
    levelled = s.geometry.levelled_by_deg
    print(f"{len(report.strides)} strides, cadence {s.cadence_spm:.0f} steps/min, "
          f"near ({s.near_side}) leg peak thigh extension "
          f"{'–' if ext is None else f'{ext:.1f}°'}"
          f"{_levelled_words(levelled)}; "
          f"analysed in {seconds:.1f} s")
    for flag in s.quality:
        if flag.id == "scene_cuts":
            print(flag.message)
    if out is not None:
        for path in sorted(Path(out).iterdir()):
            print(path)
    if receipt is not None:
        print(f"saved: {receipt.share_path}")
        print(f"athlete history: {receipt.history_path}")
        print(f"delete link (keep it private): {receipt.delete_path}")
    print(final_line(s.reliability))  # last: read it first


def _analyze_and_write(args, options, progress):
    from gait.outputs import write_outputs
    from gait.pipeline import analyze_video
    from gait.render import write_report_video
    from gait.report import write_html_report

    report = analyze_video(args.video, options=options, progress=progress,
                           workers=args.workers)

    def video_writer(path: Path) -> None:
        write_report_video(report, args.video, path, progress=progress,
                           workers=args.workers)

    if args.out is not None:
        write_outputs(
            report, args.out, annotated_video=None if args.no_video else video_writer,
            html_report=lambda path: write_html_report(report, path, athlete=args.athlete))
    receipt = _save(args, report, video_writer) if args.save else None
    return report, receipt


def _save(args, report, video_writer):
    """Save through the same store as the app (one transaction; videos only if asked)."""
    from gait.store import DatabaseUnavailable, Store, StoreError
    from gait.store.errors import CHECK_SETTINGS

    try:
        with tempfile.TemporaryDirectory(prefix="hipdrive-save-") as tmp:
            annotated = None
            if args.keep_annotated:
                written = args.out / "annotated.mp4" if args.out is not None else None
                annotated = (written if written and written.exists()
                             else Path(tmp) / "annotated.mp4")
                if annotated != written:
                    video_writer(annotated)
            store = Store.open_default()
            try:
                return store.save(report, athlete_name=args.athlete, squad=bool(args.athlete),
                                  recorded_on=args.date, note=args.note,
                                  source_name=Path(args.video).name,
                                  raw_video=Path(args.video) if args.keep_video else None,
                                  annotated_video=annotated)
            finally:
                store.close()
    except DatabaseUnavailable as exc:
        raise StoreError(f"cannot save to the database ({exc.reason}); "
                         f"{CHECK_SETTINGS}.") from exc


class _Terminated(Exception):
    """SIGTERM arrived: stop like Ctrl-C (every `finally` runs, staging is removed)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


@contextlib.contextmanager
def _sigterm_stops_the_run() -> Iterator[None]:
    """Turn SIGTERM into `_Terminated` while the run lasts (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread (e.g. called from a test harness thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    from gait.limits import ClipLimitsError
    from gait.result import AnalysisError, SlowMotionError
    from gait.store.errors import StoreError
    from gait.video import VideoError

    args = build_parser().parse_args(argv)
    try:
        with _sigterm_stops_the_run():
            if args.command == "batch":
                from gait.batch_cli import run_batch_command

                return run_batch_command(args, options=_options(args))
            return run_analyze(args)
    except _Terminated:
        print("error: stopped (SIGTERM); nothing was written.", file=sys.stderr)
        return 2
    except ClipLimitsError as exc:
        print(f"error: the host's limits are misconfigured: {exc}", file=sys.stderr)
        return 2
    except (VideoError, AnalysisError, StoreError) as exc:
        hint = f" ({CAPTURE_FPS_HINT})" if isinstance(exc, SlowMotionError) else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read or write a file ({exc.strerror or exc}: "
              f"{exc.filename or ''}); check the paths and free disk space.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
