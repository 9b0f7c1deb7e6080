"""Run HipDrive on real clips and score it against hand labels (docs/accuracy.md).

    .venv/bin/python scripts/evaluate_real.py [--clips ../shared/real] [--json out.json]
        [--pose-model full] [--variants | --variant distant_crossing ...]
    .venv/bin/python scripts/evaluate_real.py --tracks tests/data/real_tracks   # fast, no pose

Default: every video in --clips goes through the real CLI (`gait analyze --no-video`).
A clip with `<stem>.events.json` beside it (or among the project's own labels in
tests/data/real_tracks) is scored by the labels' own scorer
(`score_events.py` in the same folder): strides found per foot, event errors in frames,
contact-time error, cadence error; further labellers' events (`<stem>.events_<who>.json`)
are scored the same way and matched event by event with the first's. A clip with
`<stem>.angles_*.json` (hand-digitised joints) gets the near thigh angle compared with the
digitisers' at the labelled frames.
Every clip reports cadence, strides per side, dropped strides by reason and the
reliability verdict.

`--tracks DIR` analyses recorded raw MediaPipe tracks (`scripts/record_real_tracks.py`)
instead of decoding video: the same stages after pose, seconds instead of minutes, for
developing the event and stride stages. Labels are then looked up in --clips.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from gait.pose_models import DEFAULT_POSE_MODEL
from tests.digitised_frames import (
    ADULT_SEGMENT_RATIOS,
    compare_digitised,
    digitised_text,
    read_summary,
    segment_ratios,
)

ROOT = Path(__file__).resolve().parents[1]
OUR_LABELS = ROOT / "tests" / "data" / "real_tracks"  # labels made for HipDrive, no video
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")


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


def _matched_events(first: dict, other: dict, foot: str, kind: str,
                    max_apart_frames: int) -> tuple[list[int], list[int], list[tuple]]:
    """Both labellers' frames of one foot and event kind, and the pairs (first's frame,
    other's frame): each of the other's events matched to the first's nearest unmatched
    one within `max_apart_frames`, in time order."""
    mine, theirs = (sorted(e["frame"] for e in data["events"]
                           if e["foot"] == foot and e["event"] == kind)
                    for data in (first, other))
    unused, pairs = list(mine), []
    for frame in theirs:
        nearest = min(unused, key=lambda f: abs(f - frame), default=None)
        if nearest is not None and abs(nearest - frame) <= max_apart_frames:
            pairs.append((nearest, frame))
            unused.remove(nearest)
    return mine, theirs, pairs


def _same_clip_counting(first: dict, other: dict) -> bool:
    """Both count the clip's decoded frames (rates within 1 %: one labeller may write the
    container's average rate, another the frames' spacing) and agree which leg is near."""
    a_fps, b_fps = float(first["fps"]), float(other["fps"])
    return (first["near_side"] == other["near_side"]
            and abs(a_fps - b_fps) <= 0.01 * max(a_fps, b_fps))


def labeller_agreement(first: Path, other: Path, *, max_apart_frames: int = 3) -> dict:
    """How two labellers' events of one clip differ, per foot and event kind
    (`_matched_events`): n matched of each's count, the median |other − first| and the
    mean other − first, in frames. Both must count the same frames at the same rate and
    agree which leg is near."""
    a, b = (json.loads(path.read_text()) for path in (first, other))
    if not _same_clip_counting(a, b):
        return {"error": "the two label files disagree on the near leg or the frame rate"}
    result = {}
    for foot in ("near", "far"):
        for kind in ("strike", "toe_off"):
            mine, theirs, pairs = _matched_events(a, b, foot, kind, max_apart_frames)
            diffs = [o - f for f, o in pairs]
            result[f"{foot}_{kind}"] = {
                "matched": len(diffs), "first": len(mine), "other": len(theirs),
                "median_abs_frames": (statistics.median(abs(d) for d in diffs)
                                      if diffs else None),
                "mean_frames": round(statistics.fmean(diffs), 2) if diffs else None}
    return result


def mean_labels(first: Path, other: Path, target: Path, *, max_apart_frames: int = 3
                ) -> Path | None:
    """The first labels with each event the other labeller also marked moved to the mean
    of the two frames (a half frame where they differ by one); None if the two files do
    not count the same clip the same way."""
    a, b = (json.loads(path.read_text()) for path in (first, other))
    if not _same_clip_counting(a, b):
        return None
    mean_of = {}
    for foot in ("near", "far"):
        for kind in ("strike", "toe_off"):
            for f, o in _matched_events(a, b, foot, kind, max_apart_frames)[2]:
                mean_of[(foot, kind, f)] = (f + o) / 2
    a["events"] = [{**e, "frame": mean_of.get((e["foot"], e["event"], e["frame"]), e["frame"])}
                   for e in a["events"]]
    target.write_text(json.dumps(a))
    return target


def labels_in_analysis_time(labels: Path, out_dir: Path) -> Path:
    """Labels that count the clip's stored frames (their `fps` within 1 % of the file's),
    put on the analysis' time base: a copy whose `fps` is the analysis' frame rate — the
    capture rate of a clip analysed at another one (stated with --capture-fps, or assumed
    for slow motion, `summary.slow_motion`), and the file's own frame spacing where the
    labels' rate differs from it a little (the second runner's labeller took the
    container's average rate, 29.87 fps, for frames 1/29.97 s apart: by frame 200 its
    times ran 0.7 frame late). Events and stride yield are then scored on the analysis'
    own time base (for an assumed rate: under the tool's assumption, and the cadence
    against the labels' at that rate)."""
    summary = read_summary(out_dir)
    data = json.loads(labels.read_text())
    capture = summary.capture_fps
    slowdown = summary.slow_motion.assumed_factor if summary.slow_motion else 1.0
    stored = summary.video.stored_fps if summary.video else capture / slowdown  # --tracks
    label_fps = float(data["fps"])
    counts_stored_frames = bool(stored) and abs(label_fps - stored) <= 0.01 * stored
    if not counts_stored_frames or abs(capture - label_fps) <= 1e-6 * capture:
        return labels
    data["fps"] = capture
    moved = out_dir / f"{labels.stem}_at_{capture:g}fps.json"
    moved.write_text(json.dumps(data))
    return moved


def score_events(labels: Path, out_dir: Path, scorer: Path) -> dict:
    done = subprocess.run([sys.executable, str(scorer), str(labels), str(out_dir)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def label_files(clips_dir: Path, stem: str, kind: str) -> list[Path]:
    """The clip's further label files `<stem>.<kind>_<who>.json` (hand-digitised passes:
    kind "angles"; other labellers' events: "events"), beside the clip and among the
    project's own labels; the same name in both places is the same file."""
    by_name = {p.name: p for folder in (OUR_LABELS, clips_dir)
               for p in sorted(folder.glob(f"{stem}.{kind}_*.json"))}
    return [by_name[name] for name in sorted(by_name)]


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
        scorer = clips_dir / "score_events.py"
        for other in (label_files(clips_dir, clip_stem, "events")
                      if labels and scorer.exists() else ()):
            who = other.name.removesuffix(".json").rsplit("events_", 1)[-1]
            mean = mean_labels(labels, other, out_dir / f"labels_mean_with_{who}.json")
            row.setdefault("other_labellers", {})[who] = {
                "vs_first": labeller_agreement(labels, other),
                "events": score_events(labels_in_analysis_time(other, out_dir), out_dir,
                                       scorer),
                "events_vs_mean": (score_events(labels_in_analysis_time(mean, out_dir),
                                                out_dir, scorer) if mean else None)}
        angle_files = label_files(clips_dir, clip_stem, "angles")
        if angle_files:
            row["digitised_thigh"] = compare_digitised(angle_files, out_dir)
            row["segment_ratios"] = segment_ratios(angle_files, out_dir)
        results.append(row)
    return results


def evaluate_variants(clips_dir: Path, work: Path, pose_model: str = DEFAULT_POSE_MODEL,
                      only: set[str] | None = None) -> list[dict]:
    """Labelled real clips under changed filming conditions
    (`synthetic.real_variants`), scored with the original clip's labels: every variant of
    the clips whose labels are beside them in `clips_dir`, or, with `only`, those
    variants of every labelled clip there (the project's own labels included)."""
    from synthetic.real_variants import make_variants

    if only is None:
        sources = [(labels.with_name(labels.name.removesuffix(".events.json") + ".mp4"), labels)
                   for labels in sorted(clips_dir.glob("*.events.json"))]
    else:
        sources = [(clip, labels_for(clips_dir, clip.stem))
                   for clip in sorted(clips_dir.iterdir())
                   if clip.suffix.lower() in VIDEO_SUFFIXES and labels_for(clips_dir, clip.stem)]
    results = []
    for source, labels in sources:
        for variant in make_variants(source, work / "variants", labels_path=labels, only=only):
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
        dig = "; ".join(f"{kind}: {digitised_text(row)}"
                        for kind, row in (r.get("digitised_thigh") or {}).items()) or "—"
        dropped = ", ".join(f"{k} {v}" for k, v in (r.get("strides_dropped") or {}).items()
                            if v) or "0"
        print(f"| {r['clip']} | {r['strides']['left']}/{r['strides']['right']} | {dropped} | "
              f"{r['cadence_spm']} | {r['reliability']} | {feet} | "
              f"{ev['cadence_err_pct'] if ev else '—'} % | {dig} |")
    for r in results:
        for who, other in (r.get("other_labellers") or {}).items():
            agree = other["vs_first"]
            print(f"\n{r['clip']}, labeller {who} against the first (median |Δ| frames, "
                  "matched/first/theirs): " + ("; ".join(
                      f"{key} {v['median_abs_frames']} ({v['matched']}/{v['first']}/"
                      f"{v['other']}, mean {v['mean_frames']})" for key, v in agree.items())
                      if "error" not in agree else agree["error"]))
            for against, ev in ((f"labeller {who}", other["events"]),
                                (f"the mean of the first and {who}", other["events_vs_mean"])):
                if ev:
                    print(f"  HipDrive against {against}: " + "; ".join(
                        f"{foot} {ev[foot]['found']}/{ev[foot]['labelled_strides']}, "
                        f"{ev[foot]['strike_abs_err_frames_median']} / "
                        f"{ev[foot]['toe_off_abs_err_frames_median']} frames, "
                        f"{ev[foot]['contact_abs_err_ms_median']} ms" for foot in ("near", "far")))
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
                             "compressed, as 2x slow motion and small in a wide frame "
                             "(synthetic/real_variants.py)")
    parser.add_argument("--variant", action="append", metavar="NAME",
                        help="only this variant (repeatable), of every labelled clip in "
                             "--clips, e.g. distant_crossing")
    parser.add_argument("--pose-model", choices=("full", "heavy"), default=DEFAULT_POSE_MODEL,
                        help="the CLI's --pose-model for videos (default heavy); a recorded "
                             "track is analysed as the model that made it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate(args.clips, args.tracks, args.keep or Path(tmp), args.pose_model)
        if args.variants or args.variant:
            results += evaluate_variants(args.clips, args.keep or Path(tmp), args.pose_model,
                                         set(args.variant) if args.variant else None)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
