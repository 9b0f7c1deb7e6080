"""Accuracy of the whole chain (render → decode → MediaPipe → metrics) against the
synthetic truth. Used by tests/test_video_accuracy.py (which asserts the targets)
and scripts/accuracy.py (which prints the README/Method table)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gait.pipeline import AnalysisOptions, GaitReport, analyze_video
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
    cadence = report.summary["cadence_spm"]
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
