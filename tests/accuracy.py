"""Accuracy of the whole chain (render → decode → MediaPipe → metrics) against the
synthetic truth. Used by tests/test_video_accuracy.py (which asserts the targets),
scripts/accuracy.py (which prints the README/Method table) and
scripts/accuracy_heldout.py (measure_outputs / heldout_table on the held-out set)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gait.pipeline import analyze_video
from gait.result import AnalysisOptions, GaitReport
from synthetic.render_runner import make_clip
from synthetic.runner_model import SyntheticRun
from tests.conftest import complete_truth_strides, match_strides, phantom_strides

# name: (fps, direction, treadmill, seconds, extra synthesize_run keywords)
CLIP_CONFIGS: dict[str, tuple[float, int, bool, float, dict]] = {
    "treadmill 60 fps, left→right": (60, +1, True, 10.0, {}),
    "treadmill 30 fps, right→left": (30, -1, True, 10.0, {}),
    "treadmill 120 fps, left→right": (120, +1, True, 6.0, {}),
    "overground (panning) 60 fps, right→left": (60, -1, False, 8.0, {"camera": "pan"}),
}


@dataclass
class ClipAccuracy:
    name: str
    fps: float
    run: SyntheticRun
    report: GaitReport
    n_true_strides: int
    n_found: int
    n_phantom: int
    cadence_error_pct: float
    near: dict
    far: dict


def _leg_errors(matched, fps: float) -> dict:
    if matched.empty:
        return {}

    def err(col: str) -> np.ndarray:
        return (matched[f"est_{col}"] - matched[f"true_{col}"]).to_numpy(dtype=float)

    strike_frames = err("start_s") * fps
    return {
        "n": len(matched),
        "thigh_ext_mae_deg": float(np.mean(np.abs(err("peak_thigh_extension_deg")))),
        "thigh_ext_bias_deg": float(np.mean(err("peak_thigh_extension_deg"))),
        "thigh_ext_max_abs_deg": float(np.max(np.abs(err("peak_thigh_extension_deg")))),
        "hip_ext_mae_deg": float(np.mean(np.abs(err("peak_hip_extension_deg")))),
        "hip_ext_bias_deg": float(np.mean(err("peak_hip_extension_deg"))),
        "thigh_flex_mae_deg": float(np.mean(np.abs(err("peak_thigh_flexion_deg")))),
        "strike_median_abs_frames": float(np.median(np.abs(strike_frames))),
        "strike_within_2_frames_pct": float(100 * np.mean(np.abs(strike_frames) <= 2)),
        "strike_bias_ms": float(1000 * np.mean(err("start_s"))),
        "toe_off_bias_ms": float(1000 * np.mean(err("toe_off_s"))),
        "contact_time_bias_ms": float(1000 * np.mean(err("contact_time_s"))),
    }


def measure_clip(name: str, folder: Path) -> ClipAccuracy:
    """Render the named configuration, analyse it with the real pipeline, compare."""
    fps, direction, treadmill, seconds, extra = CLIP_CONFIGS[name]
    path, run = make_clip(folder, fps=fps, direction=direction, treadmill=treadmill,
                          seconds=seconds, seed=11, **extra)
    report = analyze_video(path, options=AnalysisOptions())
    truth = complete_truth_strides(run)
    matched = match_strides(truth, report.strides, tolerance_s=0.1)
    phantoms = phantom_strides(run.strides, report.strides, tolerance_s=0.1)
    cadence = report.summary.cadence_spm
    near, far = run.near_side, "left" if run.near_side == "right" else "right"
    return ClipAccuracy(
        name=name, fps=fps, run=run, report=report, n_true_strides=len(truth),
        n_found=len(matched), n_phantom=len(phantoms),
        cadence_error_pct=float(100 * (cadence - run.cadence_spm) / run.cadence_spm),
        near=_leg_errors(matched[matched["side"] == near], fps),
        far=_leg_errors(matched[matched["side"] == far], fps),
    )


def markdown_table(results: list[ClipAccuracy]) -> str:
    """The accuracy table for the README and the Method page."""
    lines = [
        "| clip | strides found | phantom | cadence error | near leg: peak thigh ext. MAE "
        "(bias) | near: trunk–thigh ext. MAE | far leg: thigh ext. MAE | near foot strike: "
        "median error, within 2 frames | near contact time bias |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        n, f = r.near, r.far
        lines.append(
            f"| {r.name} | {r.n_found}/{r.n_true_strides} | {r.n_phantom} | "
            f"{r.cadence_error_pct:+.2f} % | {n['thigh_ext_mae_deg']:.1f}° "
            f"({n['thigh_ext_bias_deg']:+.1f}°) | {n['hip_ext_mae_deg']:.1f}° | "
            f"{f.get('thigh_ext_mae_deg', float('nan')):.1f}° | "
            f"{n['strike_median_abs_frames']:.1f} frames, "
            f"{n['strike_within_2_frames_pct']:.0f} % | "
            f"{n['contact_time_bias_ms']:+.0f} ms |")
    return "\n".join(lines)


def _errors(matched, fps: float) -> dict[str, list[float]]:
    """Per-stride errors (estimate - truth) for pooling across clips."""
    if matched.empty:
        return {"thigh_ext": [], "hip_ext": [], "strike_frames": [], "contact_ms": []}

    def err(col: str) -> np.ndarray:
        return (matched[f"est_{col}"] - matched[f"true_{col}"]).to_numpy(dtype=float)

    return {"thigh_ext": err("peak_thigh_extension_deg").tolist(),
            "hip_ext": err("peak_hip_extension_deg").tolist(),
            "strike_frames": (err("start_s") * fps).tolist(),
            "contact_ms": (1000 * err("contact_time_s")).tolist()}


def drawn_extension_bias(run: SyntheticRun, side: str) -> float:
    """Mean over strides of (peak thigh extension read from the drawn keypoints in the
    frames, image vertical as reference) minus the true 3-D peak (deg): the error a
    perfect 2-D keypoint detector would make (perspective, roll, frame sampling)."""
    v = run.xy(f"{side}_knee") - run.xy(f"{side}_hip")
    thigh = np.degrees(np.arctan2(run.direction * v[:, 0], v[:, 1]))  # + = forward
    errs = [-thigh[(run.time_s >= r.start_s) & (run.time_s < r.end_s)].min()
            - r.peak_thigh_extension_deg
            for r in run.strides[run.strides["side"] == side].itertuples(index=False)]
    return float(np.mean(errs)) if errs else float("nan")


def measure_outputs(run: SyntheticRun, strides, summary: dict) -> dict:
    """Compare an analysis (strides table, summary.json's dict: the CLI's file, or
    `AnalysisSummary.as_json()`; `{}` when the CLI failed) with the truth of `run`.

    True strides: complete in the clip and fully in frame (drawn keypoints). Phantoms:
    estimated strides matching no true stride at all (start and end within 0.1 s).
    Errors are estimate minus truth; angles deg, times ms, strikes in frames.
    """
    truth = complete_truth_strides(run)
    if "fully_in_frame" in truth:
        truth = truth[truth["fully_in_frame"].astype(bool)].reset_index(drop=True)
    near, far = run.near_side, run.far_side
    empty = strides is None or len(strides) == 0
    matched = match_strides(truth, strides, tolerance_s=0.1) if not empty else None
    phantoms = 0 if empty else len(phantom_strides(run.strides, strides, tolerance_s=0.1))
    cadence = summary.get("cadence_spm")
    out = {"near_side": near, "phantom": phantoms,
           "cadence_error_pct": (float(100 * (cadence - run.cadence_spm) / run.cadence_spm)
                                 if cadence is not None else None),
           "verdict": (summary.get("reliability") or {}).get("verdict"),
           "near_side_detected": summary.get("near_side"),
           "near_drawn_bias_deg": drawn_extension_bias(run, near)}
    for leg, side in (("near", near), ("far", far)):
        m = matched[matched["side"] == side] if matched is not None and len(matched) else None
        m = m if m is not None else truth.iloc[0:0]
        out[f"{leg}_true"] = int((truth["side"] == side).sum())
        out[f"{leg}_found"] = int(len(m))
        out[leg] = _leg_errors(m, run.fps) if len(m) else {}
        out[f"{leg}_errors"] = _errors(m, run.fps) if len(m) else _errors(truth.iloc[0:0],
                                                                            run.fps)
    return out


def pooled(results: list[dict]) -> dict:
    """Pool measure_outputs() results over clips (per-stride errors concatenated)."""
    def cat(leg: str, key: str) -> np.ndarray:
        return np.concatenate([np.asarray(r[f"{leg}_errors"][key], float) for r in results]
                              + [np.zeros(0)])

    def stat(values: np.ndarray, fn) -> float:
        return float(fn(values)) if len(values) else float("nan")

    cad = [abs(r["cadence_error_pct"]) for r in results if r["cadence_error_pct"] is not None]
    near_t, hip, far_t = cat("near", "thigh_ext"), cat("near", "hip_ext"), cat("far", "thigh_ext")
    strike, contact = cat("near", "strike_frames"), cat("near", "contact_ms")
    return {
        "near_found": sum(r["near_found"] for r in results),
        "near_true": sum(r["near_true"] for r in results),
        "far_found": sum(r["far_found"] for r in results),
        "far_true": sum(r["far_true"] for r in results),
        "phantom": sum(r["phantom"] for r in results),
        "cadence_abs_error_pct_mean": stat(np.asarray(cad), np.mean),
        "near_thigh_ext_mae_deg": stat(np.abs(near_t), np.mean),
        "near_thigh_ext_max_abs_deg": stat(np.abs(near_t), np.max),
        "near_hip_ext_mae_deg": stat(np.abs(hip), np.mean),
        "far_thigh_ext_mae_deg": stat(np.abs(far_t), np.mean),
        "far_thigh_ext_bias_deg": stat(far_t, np.mean),
        "near_strike_median_abs_frames": stat(np.abs(strike), np.median),
        "near_contact_bias_ms": stat(contact, np.mean),
    }


def heldout_table(names: list[str], results: list[dict]) -> str:
    """Markdown table of the held-out set plus a pooled line. '2-D floor': the near
    leg's peak extension error of a perfect 2-D detector (drawn_extension_bias)."""
    def f(v, fmt: str) -> str:
        return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else fmt.format(v)

    lines = [
        "| clip | strides near / far (found/true) | phantom | cadence error | near thigh "
        "ext. MAE (max) | 2-D floor | near trunk–thigh ext. MAE | far thigh ext. MAE (bias) "
        "| near strike median error | near contact bias | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in zip(names, results, strict=True):
        n, fa = r["near"], r["far"]
        lines.append(
            f"| {name} | {r['near_found']}/{r['near_true']} / {r['far_found']}/{r['far_true']} "
            f"| {r['phantom']} | {f(r['cadence_error_pct'], '{:+.1f} %')} | "
            f"{f(n.get('thigh_ext_mae_deg'), '{:.1f}°')} "
            f"({f(n.get('thigh_ext_max_abs_deg'), '{:.1f}°')}) | "
            f"{f(r.get('near_drawn_bias_deg'), '{:+.1f}°')} | "
            f"{f(n.get('hip_ext_mae_deg'), '{:.1f}°')} | "
            f"{f(fa.get('thigh_ext_mae_deg'), '{:.1f}°')} "
            f"({f(fa.get('thigh_ext_bias_deg'), '{:+.1f}°')}) | "
            f"{f(n.get('strike_median_abs_frames'), '{:.1f} fr')} | "
            f"{f(n.get('contact_time_bias_ms'), '{:+.0f} ms')} | "
            f"{'CLI failed' if r.get('error') else (r['verdict'] or '—')} |")
    p = pooled(results)
    lines.append(
        f"| **pooled** | {p['near_found']}/{p['near_true']} / {p['far_found']}/{p['far_true']} "
        f"| {p['phantom']} | {f(p['cadence_abs_error_pct_mean'], '{:.1f} % (mean abs)')} | "
        f"{f(p['near_thigh_ext_mae_deg'], '{:.1f}°')} "
        f"({f(p['near_thigh_ext_max_abs_deg'], '{:.1f}°')}) | | "
        f"{f(p['near_hip_ext_mae_deg'], '{:.1f}°')} | "
        f"{f(p['far_thigh_ext_mae_deg'], '{:.1f}°')} "
        f"({f(p['far_thigh_ext_bias_deg'], '{:+.1f}°')}) | "
        f"{f(p['near_strike_median_abs_frames'], '{:.1f} fr')} | "
        f"{f(p['near_contact_bias_ms'], '{:+.0f} ms')} | |")
    return "\n".join(lines)
