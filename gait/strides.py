"""Strides (foot strike → next foot strike of the same leg, half-open) and time
normalisation of a stride to 0–100 %."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.keypoints import SIDES

MIN_STRIDE_S = 0.45  # 266 steps/min: faster than any distance runner
MAX_STRIDE_S = 1.5  # 80 steps/min: slower is walking or a missed foot strike
MAX_DEVIATION_FROM_MEDIAN = 0.25


def build_strides(events: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per stride: side, stride (per-side number), start_s, end_s, toe_off_s,
    stride_time_s, contact_time_s.

    A stride is kept when it lasts 0.45–1.5 s, holds its own toe-off, and its
    duration is within 25 % of the side's median (a missed foot strike doubles a
    stride). Returns the table and the number of candidate strides dropped.
    """
    rows, dropped = [], 0
    for side in SIDES:
        side_events = events[events["side"] == side]
        strikes = side_events[side_events["event"] == "foot_strike"]["time_s"].to_numpy()
        toe_offs = side_events[side_events["event"] == "toe_off"]["time_s"].to_numpy()
        candidates = []
        for start, end in zip(strikes[:-1], strikes[1:], strict=True):
            inside = toe_offs[(toe_offs > start) & (toe_offs < end)]
            duration = end - start
            if len(inside) != 1 or not MIN_STRIDE_S <= duration <= MAX_STRIDE_S:
                dropped += 1
                continue
            candidates.append((start, end, float(inside[0])))
        if candidates:
            median = np.median([end - start for start, end, _ in candidates])
            for start, end, toe_off in candidates:
                if abs((end - start) - median) > MAX_DEVIATION_FROM_MEDIAN * median:
                    dropped += 1
                    continue
                rows.append((side, start, end, toe_off))
    table = pd.DataFrame(rows, columns=["side", "start_s", "end_s", "toe_off_s"])
    table["stride_time_s"] = table["end_s"] - table["start_s"]
    table["contact_time_s"] = table["toe_off_s"] - table["start_s"]
    table = table.sort_values(["side", "start_s"], kind="stable").reset_index(drop=True)
    table.insert(1, "stride", table.groupby("side").cumcount() + 1)
    return table, dropped


def normalise_stride(time_s: np.ndarray, values: np.ndarray, *, start_s: float, end_s: float,
                     n_samples: int = 101) -> np.ndarray:
    """Resample `values` over [start_s, end_s] at n_samples points, 0 … 100 % of the
    stride (sample 0 = foot strike). NaN where the stride has no data."""
    ok = np.isfinite(values)
    target = np.linspace(start_s, end_s, n_samples)
    if ok.sum() < 2:
        return np.full(n_samples, np.nan)
    out = np.interp(target, time_s[ok], values[ok], left=np.nan, right=np.nan)
    # do not bridge long holes: mark targets whose nearest samples are far apart
    idx = np.searchsorted(time_s[ok], target)
    idx = np.clip(idx, 1, ok.sum() - 1)
    gap = time_s[ok][idx] - time_s[ok][idx - 1]
    frame_dt = np.median(np.diff(time_s)) if len(time_s) > 1 else 0.0
    out[gap > 3.5 * frame_dt] = np.nan
    return out
