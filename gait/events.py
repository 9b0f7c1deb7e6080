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
FINE_TOLERANCE_LEG = 0.005
FINE_NOISE_SDS = 3.0
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


def height_noise_px(height_px: np.ndarray, on_ground: np.ndarray) -> float:
    """Noise SD (px) of a foot's height while it is on the ground, from the MAD of
    second differences inside ground runs (the foot barely moves there, so what
    varies is mostly pose noise)."""
    d2 = np.concatenate([np.diff(height_px[a:b], n=2) for a, b in _runs(on_ground)
                         if b - a >= 5] or [np.array([])])
    d2 = d2[np.isfinite(d2)]
    if len(d2) < 10:
        return 0.0
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6))


def contact_intervals(time_s: np.ndarray, height_px: np.ndarray, *,
                      leg_length_px: float) -> list[tuple[float, float]]:
    """(foot strike, toe-off) times of one foot from its height above ground."""
    near = np.nan_to_num(height_px, nan=np.inf) < COARSE_TOLERANCE_LEG * leg_length_px
    dt = float(np.median(np.diff(time_s))) if len(time_s) > 1 else 1.0
    for start, end in _runs(~near):  # bridge short lifts (noise)
        if start > 0 and end < len(near) and (end - start) * dt <= MAX_BRIDGE_S:
            near[start:end] = True
    tolerance = max(FINE_NOISE_SDS * height_noise_px(height_px, near),
                    FINE_TOLERANCE_LEG * leg_length_px)
    contacts = []
    for start, end in _runs(near):
        if start == 0 or end == len(near):
            continue  # contact cut by the clip edge: its events are unknown
        if (end - start) * dt < MIN_CONTACT_S:
            continue
        h = np.nan_to_num(height_px[start - 1:end + 1], nan=np.inf)
        half = max(len(h) // 2, 1)
        middle = h[len(h) // 4: len(h) - len(h) // 4]
        strike_level = float(np.median(middle if len(middle) else h))
        off_level = float(np.min(h[half:]))
        on_first = np.flatnonzero(h <= strike_level + tolerance)
        on_last = np.flatnonzero(h <= off_level + tolerance)
        if len(on_first) == 0 or len(on_last) == 0:
            continue
        first, last = start - 1 + on_first[0], start - 1 + on_last[-1]
        strike = (_crossing_time(time_s, height_px, first - 1, first, strike_level + tolerance)
                  if first > 0 else float(time_s[first]))
        toe_off = (_crossing_time(time_s, height_px, last + 1, last, off_level + tolerance)
                   if last + 1 < len(time_s) else float(time_s[last]))
        if toe_off > strike:
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
