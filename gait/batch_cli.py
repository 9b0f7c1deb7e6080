"""The `gait batch` command around gait.batch: checks, each clip's own settings
(`--clip-settings`, gait.batch_settings), progress bar, saving, batch.csv,
and the one-line summary. Exit 0 when every clip was analysed or cleanly refused, 1
otherwise; a bad command line is one `error:` line with exit 2 (as `gait analyze`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gait.batch import (
    BatchTask,
    find_clips,
    fingerprint,
    output_names,
    process_pool,
    run_batch,
    write_batch_csv,
)
from gait.batch_ray import RayUnavailable, ray_backend
from gait.batch_settings import ClipSettings, options_for_clip, read_clip_settings
from gait.cli import _native_logs_silenced, _ProgressBar, check_out_dir
from gait.result import AnalysisError, AnalysisOptions


def _checked_settings(args: argparse.Namespace, rows: list[ClipSettings],
                      clips: list[Path]) -> dict[Path, ClipSettings]:
    """--clip-settings' rows by resolved clip path; a row naming a clip the batch was not
    given, or an athlete without --save, is refused."""
    given = {clip.resolve() for clip in clips}
    for row in rows:
        if row.clip not in given:
            raise AnalysisError(f"{args.clip_settings.name}, row {row.row}: {row.clip.name} "
                                "is not among the clips given (leave out CLIP_OR_FOLDER to "
                                "analyse the file's clips)")
        if row.athlete and not args.save:
            raise AnalysisError(f"{args.clip_settings.name}, row {row.row}, column athlete: "
                                "names are only used with --save")
    return {row.clip: row for row in rows}


def batch_tasks(args: argparse.Namespace, options: AnalysisOptions) -> list[BatchTask]:
    from dataclasses import asdict

    if not args.clips and args.clip_settings is None:
        raise AnalysisError("give the clips (files or folders), or --clip-settings CSV")
    rows = read_clip_settings(args.clip_settings) if args.clip_settings is not None else []
    clips = find_clips(args.clips) if args.clips else [row.clip for row in rows]
    if not clips:
        raise AnalysisError("no clips found: give video files, or folders holding them")
    settings = _checked_settings(args, rows, clips)
    out = Path(args.out)
    tasks = []
    for clip, name in zip(clips, output_names(clips), strict=True):
        row = settings.get(clip.resolve())
        option_values = asdict(options_for_clip(options, row, args.clip_settings))
        tasks.append(BatchTask(clip=clip, out_dir=out / name, options=option_values,
                               with_video=not args.no_video,
                               fingerprint=fingerprint(clip, option_values, not args.no_video),
                               athlete=row.athlete if row else None))
    return tasks


def _saver(args: argparse.Namespace):
    """on_report for --save: save through the app's store, share path into the row."""
    from gait.store import Store

    store = Store.open_default()

    def save(task: BatchTask, row: dict, report) -> None:
        athlete = task.athlete or (task.clip.resolve().parent.name if args.athlete_from_folder
                                   else args.athlete)
        receipt = store.save(report, athlete_name=athlete, squad=bool(athlete),
                             source_name=task.clip.name)
        row["share_path"] = receipt.share_path
        row["delete_path"] = receipt.delete_path  # batch.csv is the owner's copy

    return store, save


def _backend(args: argparse.Namespace):
    """Ray when --ray or HIPDRIVE_RAY_ADDRESS says so (--jobs: CPUs of a local Ray),
    else --jobs worker processes here."""
    import os

    address = args.ray or os.environ.get("HIPDRIVE_RAY_ADDRESS")
    if not address:
        return process_pool(args.jobs)
    return ray_backend(address, local_cpus=args.jobs)


def batch_row_line(row: dict) -> str:
    """One analysed clip of a batch in a line: its figures and its verdict with reasons
    (a row kept from an older receipt may lack some: shown as "?")."""
    def get(key: str) -> str:
        value = row.get(key, "")
        return "?" if value in ("", None) else str(value)

    reasons = get("reliability_reasons")
    return (f"{Path(row['clip']).name}: cadence {get('cadence_spm')} steps/min, near "
            f"({get('near_side')}) leg peak thigh extension "
            f"{get('near_peak_thigh_extension_deg')}°, strides {get('strides_left')} left + "
            f"{get('strides_right')} right; {get('reliability')}"
            + ("" if reasons == "?" else f" ({reasons.replace('; ', ', ')})"))


def run_batch_command(args: argparse.Namespace, *, options: AnalysisOptions) -> int:
    if (args.athlete or args.athlete_from_folder) and not args.save:
        raise AnalysisError("--athlete and --athlete-from-folder only apply with --save")
    if args.jobs < 1:
        raise AnalysisError(f"--jobs {args.jobs}: give 1 or more")
    check_out_dir(Path(args.out))
    tasks = batch_tasks(args, options)
    try:
        backend = _backend(args)
    except RayUnavailable as err:
        raise AnalysisError(str(err)) from None
    Path(args.out).mkdir(parents=True, exist_ok=True)
    store, on_report = _saver(args) if args.save else (None, None)
    try:
        with _native_logs_silenced() as real_stderr:
            bar = None if args.quiet else _ProgressBar(real_stderr)

            def progress(done: int, total: int, left_s: float | None) -> None:
                if bar:
                    bar(f"clips {done}/{total}", done / total, left_s)

            try:
                result = run_batch(tasks, backend=backend, progress=progress,
                                   on_report=on_report)
            except RayUnavailable as err:
                raise AnalysisError(str(err)) from None
            finally:
                if bar:
                    bar.finish()
    finally:
        if store is not None:
            store.close()
    csv_path = write_batch_csv(Path(args.out), result.rows)
    n_ok = sum(row["status"] == "ok" for row in result.rows)
    refused = len(result.rows) - n_ok - result.n_failed
    print(f"{len(result.rows)} clips: {n_ok} analysed, {refused} refused, "
          f"{result.n_failed} failed ({result.n_skipped} done before, skipped)")
    print(csv_path)
    for row in result.rows:
        if row["status"] != "ok":
            print(f"{row['clip']}: {row['error']}", file=sys.stderr)
        else:
            print(batch_row_line(row))
    return 1 if result.n_failed else 0
