"""Hand-digitised real frames against HipDrive's keypoints, for scripts/evaluate_real.py
(docs/accuracy.md, "Angles on real bodies"): the near thigh angle against each digitising
pass and the pooled passes' mean, and segment-length ratios as an anatomical check of where
each placed the hip and knee. Pass files: `<clip>.angles_<pass>.json`
(tests/data/real_tracks/README.md)."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

SEGMENTS = {"trunk_over_thigh": (("shoulder", "hip"), ("hip", "knee")),
            "thigh_over_shank": (("hip", "knee"), ("knee", "ankle"))}
# Adults, segment lengths as fractions of body height (Drillis & Contini 1966, in Winter,
# Biomechanics and Motor Control of Human Movement, 4th ed. 2009, fig. 4.1): thigh 0.245,
# shank 0.246, acromion to greater trochanter 0.288. So thigh/shank ≈ 1.0, and trunk/thigh
# ≈ 1.2 from the acromion (≈ 1.1 from the shoulder joint centre, a few cm lower).
ADULT_SEGMENT_RATIOS = {"trunk_over_thigh": "1.1–1.2", "thigh_over_shank": "≈ 1.0"}


def read_summary(out_dir: Path):
    """The analysis' summary.json as gait.result.AnalysisSummary."""
    from gait.result import AnalysisSummary

    return AnalysisSummary.from_json(json.loads((out_dir / "summary.json").read_text()))


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


def digitised_text(row: dict) -> str:
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
