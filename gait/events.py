"""Foot strike and toe-off from the feet's height above the ground line.

Method (a foot-height contact detector in the spirit of Fellin 2010's
heel-position method for running, adapted to a fixed side-view camera):

1. The lowest point of each foot per frame is max(heel_y, toe_y) (y down).
2. The ground is a straight line y = a + b·x fitted to the lowest ~30 % of both
   feet's positions (a foot is on the ground ~30–40 % of a running stride); the
   camera must not move, the ground may be tilted.
3. A foot is *near the ground* while its height above that line is below
   `coarse_tolerance` (6 % of leg length); such runs shorter than 40 ms are
   ignored and gaps shorter than 30 ms are bridged.
4. Within each run the contact's own ground level is the median height of its
   middle half; foot strike is the first, toe-off the last time the height is
   within `fine_tolerance` (2 % of leg length) of that level, interpolated
   between frames.

Works on treadmill and overground (it only uses vertical foot position) and at
any frame rate; it needs the feet visible. Times are in seconds of the clip.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gait.keypoints import SIDES
from gait.posetrack import PoseTrack

COARSE_TOLERANCE_LEG = 0.06
FINE_TOLERANCE_LEG = 0.02
MIN_CONTACT_S = 0.04
MAX_BRIDGE_S = 0.03


def foot_lowest_point(track: PoseTrack, side: str) -> tuple[np.ndarray, np.ndarray]:
    """x and y (px) of the lowest of heel and toe, per frame."""
    heel, toe = track.xy(f"{side}_heel"), track.xy(f"{side}_toe")
    use_toe = np.nan_to_num(toe[:, 1], nan=-np.inf) > np.nan_to_num(heel[:, 1], nan=-np.inf)
    low = np.where(use_toe[:, None], toe, heel)
    return low[:, 0], low[:, 1]


def fit_ground_line(xs: np.ndarray, ys: np.ndarray, *, leg_length_px: float) -> tuple[float, float]:
    """Ground line y = a + b·x through the lowest 30 % of foot positions."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if len(ys) < 3:
        return float("nan"), 0.0
    low = ys >= np.quantile(ys, 0.7)
    if np.ptp(xs[low]) < 0.5 * leg_length_px:
        return float(np.median(ys[low])), 0.0
    b, a = np.polyfit(xs[low], ys[low], 1)
    return float(a), float(b)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _crossing_time(time_s: np.ndarray, height: np.ndarray, i_out: int, i_in: int,
                   level: float) -> float:
    """Time where height crosses `level` between frame i_out (above) and i_in (at/below)."""
    h0, h1 = height[i_out], height[i_in]
    if not (np.isfinite(h0) and np.isfinite(h1)) or h0 == h1:
        return float(time_s[i_in])
    frac = np.clip((h0 - level) / (h0 - h1), 0.0, 1.0)
    return float(time_s[i_out] + frac * (time_s[i_in] - time_s[i_out]))


def contact_intervals(time_s: np.ndarray, height_px: np.ndarray, *,
                      leg_length_px: float) -> list[tuple[float, float]]:
    """(foot strike, toe-off) times of one foot from its height above ground."""
    near = np.nan_to_num(height_px, nan=np.inf) < COARSE_TOLERANCE_LEG * leg_length_px
    dt = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 1.0
    for start, end in _runs(~near):  # bridge short lifts (noise)
        if start > 0 and end < len(near) and (end - start) * dt <= MAX_BRIDGE_S:
            near[start:end] = True
    contacts = []
    for start, end in _runs(near):
        if start == 0 or end == len(near):
            continue  # contact cut by the clip edge: its events are unknown
        if (end - start) * dt < MIN_CONTACT_S:
            continue
        inner = height_px[start + (end - start) // 4: end - (end - start) // 4 or end]
        level = float(np.nanmedian(inner)) if np.isfinite(inner).any() else 0.0
        fine = level + FINE_TOLERANCE_LEG * leg_length_px
        on = np.flatnonzero(np.nan_to_num(height_px[start - 1:end + 1], nan=np.inf) <= fine)
        if len(on) == 0:
            continue
        first, last = start - 1 + on[0], start - 1 + on[-1]
        strike = (_crossing_time(time_s, height_px, first - 1, first, fine)
                  if first > 0 else float(time_s[first]))
        toe_off = (_crossing_time(time_s, height_px, last + 1, last, fine)
                   if last + 1 < len(time_s) else float(time_s[last]))
        contacts.append((strike, toe_off))
    return contacts


def detect_events(track: PoseTrack, *, leg_length_px: float) -> pd.DataFrame:
    """Foot strikes and toe-offs of both feet.

    Returns a table with columns side, event ("foot_strike" / "toe_off"), time_s,
    contact (index of the contact for that side), sorted by time.
    """
    xs = {s: foot_lowest_point(track, s) for s in SIDES}
    a, b = fit_ground_line(np.concatenate([xs[s][0] for s in SIDES]),
                           np.concatenate([xs[s][1] for s in SIDES]),
                           leg_length_px=leg_length_px)
    rows = []
    for side in SIDES:
        x, y = xs[side]
        height = (a + b * x) - y  # px above the ground line, + up
        for k, (strike, toe_off) in enumerate(
                contact_intervals(track.time_s, height, leg_length_px=leg_length_px)):
            rows.append((side, "foot_strike", strike, k))
            rows.append((side, "toe_off", toe_off, k))
    events = pd.DataFrame(rows, columns=["side", "event", "time_s", "contact"])
    return events.sort_values("time_s", kind="stable").reset_index(drop=True)
