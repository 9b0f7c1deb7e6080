"""An even time grid for signals from clips whose frames are not evenly spaced
(dropped frames, variable frame rate): times in seconds. Pure numpy."""

from __future__ import annotations

import numpy as np

MAX_BRIDGE_S = 0.25  # frames missing for longer than this are not bridged for events


def uniform_time_grid(time_s: np.ndarray) -> np.ndarray:
    """Evenly spaced times (s) from the first to the last frame at the median frame
    interval; equal to `time_s` for a clip sampled evenly."""
    if len(time_s) < 2:
        return time_s.copy()
    step_s = float(np.median(np.diff(time_s)))
    n = int(round((time_s[-1] - time_s[0]) / step_s)) + 1
    if n == len(time_s) and np.allclose(time_s, time_s[0] + step_s * np.arange(n),
                                        atol=0.25 * step_s):
        return time_s.copy()
    return time_s[0] + step_s * np.arange(n)


def resample(time_s: np.ndarray, values: np.ndarray, grid_s: np.ndarray, *,
             max_bridge_s: float = MAX_BRIDGE_S) -> np.ndarray:
    """`values` (sampled at `time_s`) linearly interpolated at `grid_s`; NaN where the
    nearest measured samples on either side are more than `max_bridge_s` apart."""
    ok = np.isfinite(values)
    if ok.sum() < 2:
        return np.full(len(grid_s), np.nan)
    t, v = time_s[ok], values[ok]
    out = np.interp(grid_s, t, v, left=np.nan, right=np.nan)
    after = np.clip(np.searchsorted(t, grid_s), 1, len(t) - 1)
    out[(t[after] - t[after - 1]) > max_bridge_s + 1e-9] = np.nan
    return out
