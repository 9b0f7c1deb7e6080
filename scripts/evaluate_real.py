"""Run HipDrive on real clips and score it against hand labels (docs/accuracy.md).

    .venv/bin/python scripts/evaluate_real.py [--clips ../shared/real] [--json out.json]
        [--pose-model full] [--variants]
    .venv/bin/python scripts/evaluate_real.py --tracks tests/data/real_tracks   # fast, no pose

Default: every video in --clips goes through the real CLI (`gait analyze --no-video`).
A clip with `<stem>.events.json` beside it (or among the project's own labels in
tests/data/real_tracks) is scored by the labels' own scorer
(`score_events.py` in the same folder): strides found per foot, event errors in frames,
contact-time error, cadence error. A clip with `<stem>.angles_*.json` (hand-digitised
joints) gets the near thigh angle compared with the digitisers' at the labelled frames.
Every clip reports cadence, strides per side, dropped strides by reason and the
reliability verdict.

`--tracks DIR` analyses recorded raw MediaPipe tracks (`scripts/record_real_tracks.py`)
instead of decoding video: the same stages after pose, seconds instead of minutes, for
developing the event and stride stages. Labels are then looked up in --clips.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from gait.pose_models import DEFAULT_POSE_MODEL

ROOT = Path(__file__).resolve().parents[1]
OUR_LABELS = ROOT / "tests" / "data" / "real_tracks"  # labels made for HipDrive, no video
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")
SEGMENTS = {"trunk_over_thigh": (("shoulder", "hip"), ("hip", "knee")),
            "thigh_over_shank": (("hip", "knee"), ("knee", "ankle"))}
# Adults, segment lengths as fractions of body height (Drillis & Contini 1966, in Winter,
# Biomechanics and Motor Control of Human Movement, 4th ed. 2009, fig. 4.1): thigh 0.245,
# shank 0.246, acromion to greater trochanter 0.288. So thigh/shank ≈ 1.0, and trunk/thigh
# ≈ 1.2 from the acromion (≈ 1.1 from the shoulder joint centre, a few cm lower).
ADULT_SEGMENT_RATIOS = {"trunk_over_thigh": "1.1–1.2", "thigh_over_shank": "≈ 1.0"}


def analyse_clip(clip: Path, out_dir: Path, extra_args: tuple[str, ...] = ()) -> str | None:
    """Run the CLI; returns its error line, or None when it wrote the outputs."""
    done = subprocess.run([str(ROOT / ".venv/bin/gait"), "analyze", str(clip), "--out",
                           str(out_dir), "--no-video", *extra_args],
                          capture_output=True, text=True)
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.startswith("error:")]
        return lines[-1] if lines else done.stderr.strip().splitlines()[-1]
    return None


def analyse_track_file(track_file: Path, out_dir: Path, pose_model: str) -> str | None:
    """Analyse a recorded raw track (made with `pose_model`) with the stages after pose
    and write the outputs."""
    from gait.outputs import write_outputs
    from gait.pipeline import analyze_track
    from gait.posetrack import PoseTrack
    from gait.result import AnalysisError, AnalysisOptions

    track, capture_fps = PoseTrack.load_npz(track_file)
    try:
        report = analyze_track(track, capture_fps=capture_fps,
                               options=AnalysisOptions(pose_model=pose_model))
    except AnalysisError as err:
        return f"error: {err}"
    write_outputs(report, out_dir)
    return None


def labels_for(clips_dir: Path, stem: str) -> Path | None:
    """The clip's event labels: beside the clip, else among the project's own labels."""
    for folder in (clips_dir, OUR_LABELS):
        if (folder / f"{stem}.events.json").exists():
            return folder / f"{stem}.events.json"
    return None


def labels_in_analysis_time(labels: Path, out_dir: Path) -> Path:
    """Labels that count the clip's stored frames at its stored rate, put on the analysis'
    time base: for a clip analysed at another capture rate (stated with --capture-fps, or
    assumed for slow motion, `summary.slow_motion`) a copy whose `fps` is that rate.
    Events and stride yield are then scored on the analysis' own time base (for an
    assumed rate: under the tool's assumption, and the cadence against the labels' at
    that rate)."""
    summary = read_summary(out_dir)
    data = json.loads(labels.read_text())
    capture = summary.capture_fps
    slowdown = summary.slow_motion.assumed_factor if summary.slow_motion else 1.0
    stored = summary.video.stored_fps if summary.video else capture / slowdown  # --tracks
    label_fps = float(data["fps"])
    counts_stored_frames = bool(stored) and abs(label_fps - stored) <= 0.01 * stored
    if not counts_stored_frames or abs(capture - stored) < 0.01 * stored:
        return labels
    data["fps"] = capture
    moved = out_dir / f"labels_at_{capture:g}fps.json"
    moved.write_text(json.dumps(data))
    return moved


def score_events(labels: Path, out_dir: Path, scorer: Path) -> dict:
    done = subprocess.run([sys.executable, str(scorer), str(labels), str(out_dir)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def digitised_files(clips_dir: Path, stem: str) -> list[Path]:
    """The clip's hand-digitised angle files (`<stem>.angles_<pass>.json`), beside the clip
    and among the project's own labels; one file per pass (the same name in both places
    is the same pass)."""
    by_name = {p.name: p for folder in (OUR_LABELS, clips_dir)
               for p in sorted(folder.glob(f"{stem}.angles_*.json"))}
    return [by_name[name] for name in sorted(by_name)]


def compare_digitised(angle_files: list[Path], out_dir: Path) -> dict:
    """Near thigh angle (HipDrive) against hand-digitised frames, per frame kind: minus the
    mean of the pooled passes (a pass file saying `"pooled": false` breaks the digitising
    protocol, for the reason it states, and is left out of the mean), the pooled passes'
    spread, each pass alone (`by_pass`: median absolute difference) and every pass pooled
    (`all_passes`).
    The digitisers measured against the picture's vertical; when HipDrive levelled the
    picture (`gait.level`), their angles are levelled the same way at their own hip
    point, so that only where the joints were placed differs."""
    import numpy as np
    import pandas as pd

    from gait.level import lean_deg

    frames = pd.read_csv(out_dir / "frames.csv", usecols=["frame", "near_thigh_deg"])
    ours_by_frame = dict(zip(frames["frame"], frames["near_thigh_deg"], strict=True))
    summary = read_summary(out_dir)
    vertical = summary.video.true_vertical if summary.video else None
    levelled = summary.geometry.levelled_by_deg is not None and vertical is not None
    direction = 1 if summary.direction == "left_to_right" else -1
    by_frame: dict[tuple[int, str], dict[str, float]] = {}
    pooled: set[str] = set()
    for path in angle_files:
        name = _pass_name(path)
        content = json.loads(path.read_text())
        if content.get("pooled", True):
            pooled.add(name)
        for f in content["frames"]:
            thigh = f["thigh_deg"]
            if levelled:
                hip_x, hip_y = f["points_px"]["hip"]
                thigh -= direction * float(lean_deg(vertical, np.array(hip_x), np.array(hip_y)))
            by_frame.setdefault((f["frame"], f["kind"]), {})[name] = thigh
    names = {_pass_name(path) for path in angle_files}
    result: dict[str, dict] = {}
    for kind in sorted({k for _, k in by_frame}):
        seen = {frame: values for (frame, k), values in sorted(by_frame.items())
                if k == kind and pd.notna(ours_by_frame.get(frame, np.nan))}
        by_pass = {name: [abs(ours_by_frame[frame] - values[name])
                          for frame, values in seen.items() if name in values]
                   for name in sorted(names)}
        here = {name for name, errors in by_pass.items() if errors}  # did this kind
        pooled_here = pooled & here
        row = _against_mean(seen, ours_by_frame, pooled_here)
        every = (_against_mean(seen, ours_by_frame, here, every_pass_on_the_frame=False)
                 if pooled_here != here else {})
        if not (row or every):
            continue
        row["by_pass"] = {n: round(statistics.median(e), 1) for n, e in by_pass.items() if e}
        if pooled_here != here:
            row["pooled_passes"] = sorted(pooled_here)  # none: no headline, only the passes
            if every:
                row["all_passes"] = every
        result[kind] = row
    return result


def segment_ratios(angle_files: list[Path], out_dir: Path) -> dict[str, dict[str, float]]:
    """Median length ratios (`SEGMENTS`) of the near leg and trunk on the digitised frames:
    each pass's from its own points, and HipDrive's (`hipdrive`) from its keypoints on the
    frames the passes digitised. A check on where the hip was put, by either: a hip placed
    too high lengthens the trunk and shortens the thigh, one placed too low the reverse
    (`ADULT_SEGMENT_RATIOS` says what adults' are)."""
    import pandas as pd

    near = read_summary(out_dir).near_side
    frames = pd.read_csv(out_dir / "frames.csv").set_index("frame")
    points_by_pass = {_pass_name(path): {f["frame"]: f["points_px"]
                                         for f in json.loads(path.read_text())["frames"]}
                      for path in angle_files}
    digitised = sorted({frame for points in points_by_pass.values() for frame in points})
    points_by_pass["hipdrive"] = {
        frame: {joint: [frames.at[frame, f"{near}_{joint}_x_px"],
                        frames.at[frame, f"{near}_{joint}_y_px"]]
                for joint in ("shoulder", "hip", "knee", "ankle")}
        for frame in digitised if frame in frames.index}
    return {name: ratios for name, points in points_by_pass.items()
            if (ratios := _median_ratios(points.values()))}


def _median_ratios(frames_points) -> dict[str, float]:
    """`SEGMENTS` ratios, median over frames that hold the joints they need."""
    ratios: dict[str, list[float]] = {}
    for points in frames_points:
        for name, segments in SEGMENTS.items():
            if not all(joint in points for segment in segments for joint in segment):
                continue
            top, bottom = (math.dist(points[a], points[b]) for a, b in segments)
            if bottom > 0 and math.isfinite(top):  # NaN where a joint was not seen
                ratios.setdefault(name, []).append(top / bottom)
    return {name: round(statistics.median(values), 2) for name, values in ratios.items()}


def _digitised_text(row: dict) -> str:
    """One frame kind of `compare_digitised` in words, for the table."""
    if "median_abs_err_deg" in row:
        spread = row["digitisers_median_disagreement_deg"]
        head = (f"{row['median_abs_err_deg']}° (mean {row['mean_err_deg']:+}°, "
                + (f"digitisers differ {spread}°; " if spread is not None
                   else "one pass: its own error unknown; "))
    else:
        head = "no pass kept the protocol, none pooled ("
    passes = ", ".join(f"{name} {err}°" for name, err in row["by_pass"].items())
    every = row.get("all_passes")
    tail = (f"; all passes {every['median_abs_err_deg']}°, they differ "
            f"{every['digitisers_median_disagreement_deg']}°" if every else "")
    return f"{head}each pass: {passes}{tail})"


def _pass_name(angle_file: Path) -> str:
    """`a` for `<clip>.angles_a.json`."""
    return angle_file.stem.rsplit("angles_", 1)[-1]


def _against_mean(seen: dict[int, dict[str, float]], ours_by_frame: dict,
                  passes: set[str], *, every_pass_on_the_frame: bool = True) -> dict:
    """HipDrive minus the mean of `passes` on the frames all of them digitised (or, with
    `every_pass_on_the_frame=False`, minus the mean of those of them that did). Their
    disagreement (the spread of the passes on a frame, median over frames) needs two
    passes on a frame; with only one it is None: that pass's own error is not known."""
    diffs, spread = [], []
    for frame, values in seen.items():
        picked = [values[name] for name in passes if name in values]
        if picked and (len(picked) == len(passes) or not every_pass_on_the_frame):
            diffs.append(float(ours_by_frame[frame]) - statistics.fmean(picked))
            if len(picked) >= 2:
                spread.append(max(picked) - min(picked))
    if not diffs:
        return {}
    return {"n_frames": len(diffs),
            "median_abs_err_deg": round(statistics.median(abs(d) for d in diffs), 1),
            "mean_err_deg": round(statistics.fmean(diffs), 1),
            "digitisers_median_disagreement_deg": (round(statistics.median(spread), 1)
                                                   if spread else None)}


def read_summary(out_dir: Path):
    """The analysis' summary.json as gait.result.AnalysisSummary."""
    from gait.result import AnalysisSummary

    return AnalysisSummary.from_json(json.loads((out_dir / "summary.json").read_text()))


def summarise(out_dir: Path) -> dict:
    summary = read_summary(out_dir)
    return {
        "cadence_spm": round(summary.cadence_spm, 1),
        "near_side": summary.near_side,
        "strides": {s: summary.side(s).n_strides for s in ("left", "right")},
        "strides_dropped": summary.strides_dropped,
        "reliability": summary.verdict,
        "reliability_reasons": [r.id for r in summary.reliability.reasons],
    }


def track_pose_model(track_file: Path) -> str:
    """The pose model a recorded track was made with: the fixtures name heavy tracks
    `<clip>__heavy.npz` (tests/data/real_tracks/README.md); the rest are full."""
    return "heavy" if track_file.stem.endswith("__heavy") else "full"


def evaluate(clips_dir: Path, tracks_dir: Path | None, work: Path,
             pose_model: str = DEFAULT_POSE_MODEL) -> list[dict]:
    if tracks_dir:
        sources = sorted(tracks_dir.glob("*.npz"))
    else:
        sources = sorted(p for p in clips_dir.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    results = []
    for source in sources:
        out_dir = work / source.stem
        error = (analyse_track_file(source, out_dir, track_pose_model(source)) if tracks_dir
                 else analyse_clip(source, out_dir, ("--pose-model", pose_model)))
        row: dict = {"clip": source.stem}
        if error:
            row["error"] = error
            results.append(row)
            continue
        row.update(summarise(out_dir))
        clip_stem = source.stem.removesuffix("__heavy")  # the model's tag, not a variant
        labels = labels_for(clips_dir, clip_stem)
        if labels and (clips_dir / "score_events.py").exists():  # the labels' own scorer
            row["events"] = score_events(labels_in_analysis_time(labels, out_dir), out_dir,
                                         clips_dir / "score_events.py")
        angle_files = digitised_files(clips_dir, clip_stem)
        if angle_files:
            row["digitised_thigh"] = compare_digitised(angle_files, out_dir)
            row["segment_ratios"] = segment_ratios(angle_files, out_dir)
        results.append(row)
    return results


def evaluate_variants(clips_dir: Path, work: Path,
                      pose_model: str = DEFAULT_POSE_MODEL) -> list[dict]:
    """Every labelled real clip under changed filming conditions
    (`synthetic.real_variants`), scored with the original clip's labels."""
    from synthetic.real_variants import make_variants

    results = []
    for clip in sorted(clips_dir.glob("*.events.json")):
        source = clip.with_name(clip.name.removesuffix(".events.json") + ".mp4")
        for variant in make_variants(source, work / "variants"):
            out_dir = work / f"{variant.clip.stem}__{variant.name}"
            row: dict = {"clip": f"{source.stem} · {variant.name}"}
            error = analyse_clip(variant.clip, out_dir,
                                 (*variant.cli_args, "--pose-model", pose_model))
            if error:
                row["error"] = error
            else:
                row.update(summarise(out_dir))
                row["events"] = score_events(labels_in_analysis_time(variant.labels, out_dir),
                                             out_dir, clips_dir / "score_events.py")
            results.append(row)
    return results


def print_table(results: list[dict]) -> None:
    print("| clip | strides L/R | dropped | cadence | verdict | foot: found/labelled, "
          "strike / toe-off err (frames), contact err (ms) | cadence err | thigh vs digitised |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['clip']} | — | — | — | — | {r['error']} | — | — |")
            continue
        ev = r.get("events")
        feet = "—"
        if ev:
            feet = "; ".join(
                f"{foot} {ev[foot]['found']}/{ev[foot]['labelled_strides']}, "
                f"{ev[foot]['strike_abs_err_frames_median']} / "
                f"{ev[foot]['toe_off_abs_err_frames_median']}, "
                f"{ev[foot]['contact_abs_err_ms_median']} ms"
                for foot in ("near", "far"))
        dig = "; ".join(f"{kind}: {_digitised_text(row)}"
                        for kind, row in (r.get("digitised_thigh") or {}).items()) or "—"
        dropped = ", ".join(f"{k} {v}" for k, v in (r.get("strides_dropped") or {}).items()
                            if v) or "0"
        print(f"| {r['clip']} | {r['strides']['left']}/{r['strides']['right']} | {dropped} | "
              f"{r['cadence_spm']} | {r['reliability']} | {feet} | "
              f"{ev['cadence_err_pct'] if ev else '—'} % | {dig} |")
    ratios = [(r["clip"], r["segment_ratios"]) for r in results if r.get("segment_ratios")]
    if ratios:
        print(f"\nOn the digitised frames, median trunk/thigh and thigh/shank lengths (adults "
              f"{ADULT_SEGMENT_RATIOS['trunk_over_thigh']} and "
              f"{ADULT_SEGMENT_RATIOS['thigh_over_shank']}):")
        for clip, by_source in ratios:
            print(f"- {clip}: " + "; ".join(
                f"{name} {r.get('trunk_over_thigh', '—')} / {r.get('thigh_over_shank', '—')}"
                for name, r in by_source.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=ROOT.parent / "shared" / "real")
    parser.add_argument("--tracks", type=Path, help="recorded raw tracks instead of videos")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    parser.add_argument("--keep", type=Path, help="keep the output folders here")
    parser.add_argument("--variants", action="store_true",
                        help="also the labelled clips mirrored, panned, with dropped frames, "
                             "compressed and as 2x slow motion (synthetic/real_variants.py)")
    parser.add_argument("--pose-model", choices=("full", "heavy"), default=DEFAULT_POSE_MODEL,
                        help="the CLI's --pose-model for videos (default heavy); a recorded "
                             "track is analysed as the model that made it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate(args.clips, args.tracks, args.keep or Path(tmp), args.pose_model)
        if args.variants:
            results += evaluate_variants(args.clips, args.keep or Path(tmp), args.pose_model)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
