"""Strides (foot strike → next foot strike of the same leg, half-open) and time
normalisation of a stride to 0–100 %."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from gait.events import SkippedContact
from gait.keypoints import SIDES

MIN_STRIDE_S = 0.45  # 266 steps/min: faster than any distance runner
MAX_STRIDE_S = 1.5  # 80 steps/min: slower is walking or a missed foot strike
MAX_DEVIATION_FROM_MEDIAN = 0.25

# Why a stride between two contacts seen in the clip was left out (summary.json
# "strides_dropped" counts them; the app and report show these words).
DROP_REASONS: dict[str, str] = {
    "foot_not_visible": "the foot was hidden or out of frame at one of its contacts",
    "contact_missed": "a step between its contacts was missed (no contact where one was due)",
    "strike_not_found": "the foot never came down to its stance level in the video",
    "toe_off_not_found": "the toe-off could not be timed",
    "implausible_duration": "it lasted too long or too short for one running stride",
    "angle_outlier": "the leg's angles were far from every other stride of that leg "
                     "(the pose model lost the leg)",
}


def build_strides(events: pd.DataFrame, *, skipped: Iterable[SkippedContact] = ()
                  ) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per stride: side, stride (per-side number), start_s, end_s, toe_off_s,
    stride_time_s, contact_time_s.

    Contacts of one side (timed ones from `events`, untimed ones from `skipped`) are
    taken in time order; each pair of consecutive contacts is a candidate stride. It
    is kept when both contacts were timed, it lasts 0.45–1.5 s and within 25 % of the
    side's median (a missed contact doubles a stride). Returns the table and the
    number of dropped candidates per reason (keys of DROP_REASONS).
    """
    dropped = dict.fromkeys(DROP_REASONS, 0)
    rows = []
    for side in SIDES:
        side_events = events[events["side"] == side]
        strikes = side_events[side_events["event"] == "foot_strike"]["time_s"].to_numpy()
        toe_offs = side_events[side_events["event"] == "toe_off"]["time_s"].to_numpy()
        contacts = sorted([(float(t), None, float(o)) for t, o in zip(strikes, toe_offs,
                                                                       strict=True)]
                          + [(c.time_s, c.reason, float("nan")) for c in skipped
                             if c.side == side])
        candidates = []
        for (start, start_problem, toe_off), (end, end_problem, _) in zip(
                contacts[:-1], contacts[1:], strict=True):
            problem = start_problem or end_problem or (
                None if np.isfinite(toe_off) else "toe_off_not_found")
            if problem:
                dropped[problem] += 1
            elif not MIN_STRIDE_S <= end - start <= MAX_STRIDE_S:
                dropped["implausible_duration"] += 1
            else:
                candidates.append((start, end, toe_off))
        if candidates:
            median = np.median([end - start for start, end, _ in candidates])
            for start, end, toe_off in candidates:
                if abs((end - start) - median) > MAX_DEVIATION_FROM_MEDIAN * median:
                    dropped["implausible_duration"] += 1
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
