"""Per-stride hip mobility metrics, per-side summaries, symmetry and variability.

Angle definitions are in gait.kinematics. Sign conventions of the outputs:
- peak_thigh_extension_deg: degrees the thigh goes *behind* vertical (positive).
- peak_hip_extension_deg: degrees the thigh goes behind the trunk line (positive);
  this is the 2D trunk–thigh angle, not lab (pelvis-relative) hip extension.
- peak_*_flexion_deg: degrees ahead (positive).
- hip_rom_deg / thigh_rom_deg: max − min over the stride.
- *_at_strike / *_at_toe_off: signed angles at the event (thigh + = ahead).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.filtering import parabolic_extreme
from gait.keypoints import SIDES
from gait.metric_catalogue import STRIDE_METRICS
from gait.summary import MetricFigure, SideFigures, SymmetryFigure, Variability


def _at(time_s: np.ndarray, values: np.ndarray, t: float) -> float:
    """`values` at time `t`, interpolated between the two frames around it; NaN when
    either is missing (a gap too long to fill: the angle there was not seen)."""
    j = int(np.searchsorted(time_s, t))  # time_s[j - 1] < t <= time_s[j]
    if j < len(time_s) and time_s[j] == t:
        return float(values[j])
    if not 0 < j < len(time_s) or not np.isfinite(values[j - 1:j + 1]).all():
        return float("nan")
    return float(np.interp(t, time_s[j - 1:j + 1], values[j - 1:j + 1]))


def seen_extreme(values: np.ndarray, missing: np.ndarray, *, maximum: bool) -> float:
    """The stride's extreme (`parabolic_extreme`), or NaN when its sample borders a
    `missing` one: the leg was hidden next to it (a far knee behind the near leg or a
    treadmill's console), so the true extreme may lie in the gap, and taking the edge of
    what was seen would read it short."""
    ok = np.isfinite(values)
    if ok.sum() < 3:
        return float("nan")
    i = int(np.argmax(np.where(ok, values, -np.inf)) if maximum
            else np.argmin(np.where(ok, values, np.inf)))
    if missing[max(i - 1, 0):i + 2].any():
        return float("nan")
    return parabolic_extreme(values, maximum=maximum)


def _stride_confidence(frames: pd.DataFrame, side: str, sl: slice) -> float:
    """Mean pose confidence of the leg over the stride × share of measured frames."""
    cols = [f"{side}_{p}_conf" for p in ("hip", "knee", "ankle")]
    conf = frames.iloc[sl][cols].to_numpy()
    measured = 1.0 - frames.iloc[sl]["interpolated"].to_numpy().mean()
    return float(np.nanmean(conf) * measured) if conf.size else 0.0


def stride_metrics(frames: pd.DataFrame, strides: pd.DataFrame) -> pd.DataFrame:
    """Add the STRIDE_METRICS (and confidence) to each stride row.

    `frames` is the per-frame table (time_s, angles per side, trunk_lean_deg,
    `<side>_<joint>_conf`, `interpolated`).
    """
    t = frames["time_s"].to_numpy()
    out = []
    for row in strides.itertuples(index=False):
        side = row.side
        lo, hi = np.searchsorted(t, row.start_s), np.searchsorted(t, row.end_s)
        sl = slice(max(lo - 1, 0), min(hi + 1, len(t)))  # include bracketing frames
        ts = t[sl]
        thigh = frames[f"{side}_thigh_deg"].to_numpy()
        hip = frames[f"{side}_hip_deg"].to_numpy()
        knee = frames[f"{side}_knee_deg"].to_numpy()
        shank = frames[f"{side}_shank_deg"].to_numpy()
        in_stride = (ts >= row.start_s) & (ts < row.end_s)
        swing = (ts >= row.toe_off_s) & (ts < row.end_s)
        th, hp = np.where(in_stride, thigh[sl], np.nan), np.where(in_stride, hip[sl], np.nan)
        th_gap, hp_gap = in_stride & np.isnan(thigh[sl]), in_stride & np.isnan(hip[sl])
        values = {
            "peak_hip_extension_deg": -seen_extreme(hp, hp_gap, maximum=False),
            "peak_thigh_extension_deg": -seen_extreme(th, th_gap, maximum=False),
            "peak_hip_flexion_deg": seen_extreme(hp, hp_gap, maximum=True),
            "peak_thigh_flexion_deg": seen_extreme(th, th_gap, maximum=True),
            "thigh_at_strike_deg": _at(t, thigh, row.start_s),
            "thigh_at_toe_off_deg": _at(t, thigh, row.toe_off_s),
            "knee_at_strike_deg": _at(t, knee, row.start_s),
            "peak_knee_flexion_swing_deg": seen_extreme(
                np.where(swing, knee[sl], np.nan), swing & np.isnan(knee[sl]), maximum=True),
            "shank_at_strike_deg": _at(t, shank, row.start_s),
            "trunk_lean_deg": float(np.nanmean(frames["trunk_lean_deg"].to_numpy()[sl][in_stride]))
            if in_stride.any() else float("nan"),
        }
        values["hip_rom_deg"] = values["peak_hip_flexion_deg"] + values["peak_hip_extension_deg"]
        values["thigh_rom_deg"] = (values["peak_thigh_flexion_deg"]
                                   + values["peak_thigh_extension_deg"])
        values["confidence"] = _stride_confidence(frames, side, sl)
        out.append(values)
    table = pd.concat([strides.reset_index(drop=True), pd.DataFrame(out)], axis=1)
    return table


def cadence_spm(strides: pd.DataFrame) -> float:
    """Cadence in steps per minute (both feet) = 120 / mean stride time.

    The mean (of strides already screened for missed events) is used rather than the
    median: event-timing noise cancels between consecutive strides in a mean, while
    a median of few noisy stride times can sit a few percent off."""
    if strides.empty:
        return float("nan")
    return float(120.0 / strides["stride_time_s"].mean())


def ci95_of_median(values: np.ndarray) -> float | None:
    """Half-width of an approximate 95 % interval of the median (1.2533·σ/√n·1.96)."""
    v = values[np.isfinite(values)]
    if len(v) < 2:
        return None
    return float(1.96 * 1.2533 * np.std(v, ddof=1) / np.sqrt(len(v)))


def side_summary(strides: pd.DataFrame) -> dict[str, SideFigures]:
    """Per side: n_strides and, per metric, median, sd, ci95 (of the median)."""
    summary: dict[str, SideFigures] = {}
    for side in SIDES:
        rows = strides[strides["side"] == side]
        figures = {}
        for metric in STRIDE_METRICS:
            v = rows[metric].to_numpy(dtype=float) if len(rows) else np.array([])
            finite = v[np.isfinite(v)]
            figures[metric] = MetricFigure(
                median=float(np.median(finite)) if len(finite) else None,
                sd=float(np.std(finite, ddof=1)) if len(finite) > 1 else None,
                ci95=ci95_of_median(v) if len(finite) > 1 else None)
        summary[side] = SideFigures(n_strides=int(len(rows)), metrics=figures)
    return summary


def symmetry(per_side: dict[str, SideFigures]) -> dict[str, SymmetryFigure]:
    """Left − right difference of each metric's median, in its own unit, and as a
    symmetry index (%) = 100·(L − R)/mean(|L|, |R|) for times."""
    out: dict[str, SymmetryFigure] = {}
    for metric in STRIDE_METRICS:
        left, right = per_side["left"].median(metric), per_side["right"].median(metric)
        if left is None or right is None:
            continue
        index = None
        if metric.endswith("_s"):
            mean = (abs(left) + abs(right)) / 2
            index = 100 * (left - right) / mean if mean else None
        out[metric] = SymmetryFigure(left_minus_right=left - right, symmetry_index_pct=index)
    return out


def variability(strides: pd.DataFrame) -> Variability:
    """Stride-to-stride variability: CV of stride time (%), SD of peak thigh extension."""
    if len(strides) < 3:
        return Variability()
    st = strides["stride_time_s"]
    per_side_sd = strides.groupby("side")["peak_thigh_extension_deg"].std(ddof=1)
    return Variability(stride_time_cv_pct=float(100 * st.std(ddof=1) / st.mean()),
                       peak_thigh_extension_sd_deg=float(per_side_sd.mean()))


SCREENED_METRICS: tuple[str, ...] = ("peak_thigh_extension_deg", "peak_thigh_flexion_deg")
OUTLIER_MIN_DEG = 10.0  # never call a stride an outlier for less than this
OUTLIER_ROBUST_SDS = 4.0  # … or for less than this many robust SDs (1.4826·MAD)
MIN_STRIDES_TO_SCREEN = 5
# Beyond these no runner's thigh goes (sprinters: ~35–40° extension, ~70–80° flexion).
PLAUSIBLE_MAX_DEG = {"peak_thigh_extension_deg": 60.0, "peak_thigh_flexion_deg": 100.0}


def drop_angle_outliers(strides: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Leave out strides whose peak thigh extension or flexion lies far from the same
    leg's other strides (more than max(OUTLIER_MIN_DEG, 4 robust SDs) from the leg's
    median), or where neither peak was seen. Steady running varies by ~2–3° stride to
    stride, so such a stride is the pose model losing or mixing up the leg, not the
    runner; averaging it in would move the leg's figures. A stride with one peak unseen
    (NaN: the leg hidden there, `seen_extreme`) is kept for its timing, without that
    figure. Legs with fewer than MIN_STRIDES_TO_SCREEN strides are not screened that
    way, but every stride must stay within PLAUSIBLE_MAX_DEG.
    Returns the kept strides (numbers unchanged, so gaps show which were left out) and
    how many were dropped."""
    keep = np.ones(len(strides), dtype=bool)
    for metric, limit in PLAUSIBLE_MAX_DEG.items():
        keep &= ~(strides[metric].to_numpy(dtype=float) > limit)
    for side in SIDES:
        rows = np.flatnonzero((strides["side"] == side).to_numpy())
        if len(rows) < MIN_STRIDES_TO_SCREEN:
            continue
        for metric in SCREENED_METRICS:
            values = strides[metric].to_numpy(dtype=float)[rows]
            median = np.nanmedian(values)
            robust_sd = 1.4826 * np.nanmedian(np.abs(values - median))
            limit = max(OUTLIER_MIN_DEG, OUTLIER_ROBUST_SDS * robust_sd)
            keep[rows[np.abs(values - median) > limit]] = False
        peaks = strides[list(SCREENED_METRICS)].to_numpy(dtype=float)[rows]
        keep[rows[np.isnan(peaks).all(axis=1)]] = False  # the pose model lost the leg
    return strides[keep].reset_index(drop=True), int((~keep).sum())
