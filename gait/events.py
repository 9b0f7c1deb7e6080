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

5. Toe-off is then refined to the knee's peak extension near the end of stance
   (Fellin 2010), which pose models locate better than the tip of the shoe: on
   rendered clips with MediaPipe the foot-height toe-off came out ~4 frames early
   at 60 fps, the knee-based one within one frame.

Works on treadmill and overground (it only uses vertical foot position and the
knee angle) and at any frame rate; it needs the feet visible. Times are in seconds
of the clip.
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
MAX_EXTENSION_S = 0.04  # never move an event more than this past its threshold crossing


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


def _touch_time(time_s: np.ndarray, height: np.ndarray, i_out: int, i_in: int,
                threshold: float, ground: float) -> float:
    """When the foot reaches `ground`, from the frames around the crossing of
    `threshold` (= ground + tolerance): the crossing is interpolated between frame
    i_out (above) and i_in (at/below), then the foot's motion across that segment is
    extended linearly down to the ground level. Without this step every foot strike
    would be early and every toe-off late by tolerance / foot speed."""
    h0, h1 = height[i_out], height[i_in]
    if not (np.isfinite(h0) and np.isfinite(h1)) or h0 <= h1:
        return float(time_s[i_in])
    step_s = time_s[i_in] - time_s[i_out]  # negative for toe-off (i_out after i_in)
    frac = np.clip((h0 - threshold) / (h0 - h1), 0.0, 1.0)
    crossing = time_s[i_out] + frac * step_s
    speed_px_s = (h0 - h1) / abs(step_s)
    extension_s = min((threshold - ground) / speed_px_s, MAX_EXTENSION_S)
    return float(crossing + np.sign(step_s) * extension_s)


def height_noise_px(height_px: np.ndarray, on_ground: np.ndarray) -> float:
    """Noise SD (px) of a foot's height while it is on the ground: the robust spread
    (1.4826·MAD) of the middle half of each ground run around that run's median. The
    foot barely moves there, so the spread is mostly what pose noise leaves after
    filtering (an over-estimate when the foot rolls, which errs on the safe side)."""
    deviations = []
    for a, b in _runs(on_ground):
        middle = height_px[a + (b - a) // 4: b - (b - a) // 4]
        middle = middle[np.isfinite(middle)]
        if len(middle) >= 3:
            deviations.append(middle - np.median(middle))
    if not deviations:
        return 0.0
    pooled = np.concatenate(deviations)
    return float(1.4826 * np.median(np.abs(pooled)))


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
        if start == 0 or end == len(near) or not (
                np.isfinite(height_px[start - 1]) and np.isfinite(height_px[end])):
            continue  # contact cut by the clip edge or a gap in the pose: events unknown
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
        strike = (_touch_time(time_s, height_px, first - 1, first, strike_level + tolerance,
                              strike_level) if first > 0 else float(time_s[first]))
        toe_off = (_touch_time(time_s, height_px, last + 1, last, off_level + tolerance,
                               off_level) if last + 1 < len(time_s) else float(time_s[last]))
        if toe_off > strike:
            contacts.append((strike, toe_off))
    return contacts


def refine_toe_off(time_s: np.ndarray, knee_flexion_deg: np.ndarray, strike_s: float,
                   toe_off_s: float) -> float:
    """Toe-off at the knee's peak extension at the end of stance (Fellin 2010: ~5 ms
    from force-plate toe-off in running). Searched from mid-contact to 0.15 s after
    the foot-height estimate; falls back to that estimate when the knee is not seen."""
    window = (time_s >= strike_s + 0.5 * (toe_off_s - strike_s)) & (time_s <= toe_off_s + 0.15)
    idx = np.flatnonzero(window & np.isfinite(knee_flexion_deg))
    if len(idx) < 3:
        return toe_off_s
    i = idx[np.argmin(knee_flexion_deg[idx])]
    if i in (idx[0], idx[-1]):
        return toe_off_s  # no minimum inside the window
    a, b, c = knee_flexion_deg[i - 1], knee_flexion_deg[i], knee_flexion_deg[i + 1]
    denom = a - 2 * b + c
    shift = 0.5 * (a - c) / denom if denom > 0 else 0.0
    return float(np.interp(i + np.clip(shift, -0.5, 0.5), np.arange(len(time_s)), time_s))


def detect_events(track: PoseTrack, *, leg_length_px: float,
                  knee_flexion_deg: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Foot strikes and toe-offs of both feet.

    Foot strike comes from the foot's height; toe-off from the knee's peak
    extension when `knee_flexion_deg` (per side) is given, else from foot height.

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
            if knee_flexion_deg is not None:
                toe_off = refine_toe_off(track.time_s, knee_flexion_deg[side], strike, toe_off)
            rows.append((side, "foot_strike", strike, k))
            rows.append((side, "toe_off", toe_off, k))
    events = pd.DataFrame(rows, columns=["side", "event", "time_s", "contact"])
    return events.sort_values("time_s", kind="stable").reset_index(drop=True)
