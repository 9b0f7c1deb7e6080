"""Foot strike and toe-off: contacts found from the foot's position relative to the
pelvis, then timed from the foot's height and its velocity.

Method, per foot (decided by measurement on hand-labelled real clips and rendered
clips with known events; see README "Measured accuracy"):

1. **Find every contact** (Zeni et al. 2008): the foot's forward distance from the
   pelvis, d·(x_foot − x_pelvis) with d the direction of travel, peaks once per
   stride just before foot strike and bottoms out just after toe-off. These extremes
   are large (≈ 0.8 leg lengths apart) next to pose noise, need no ground line, and
   hold on a treadmill, overground, and with a panning camera (the pelvis moves with
   the picture). A peak followed by a trough brackets one contact. Used alone they are
   biased (on a real 30 fps treadmill clip: strike 2.4 frames early, toe-off 1.8
   late), so they only bracket the search below.
2. **Foot strike from height**: the lowest point of the foot (heel or toe) is
   measured against this foot's own ground line (fitted per foot: when the camera is
   above or below hip height the far foot's ground is not the near foot's). Within the
   bracket, the strike is the first time the foot comes down to its stance level
   (+ a tolerance from the measured noise), extended along the foot's path down to
   that level. Horizontal signals cannot time the strike: the foot already moves
   backward with the ground before it lands (swing-leg retraction), so they read
   ~1.5 frames early whatever the threshold.
3. **Toe-off from horizontal velocity**: during stance the foot moves backward
   relative to the pelvis at the running speed (belt or ground; Fellin 2010 uses
   foot kinematics the same way). Toe-off is the last time, before the bracket's
   trough, that the ankle's backward velocity is still at least
   `TOE_OFF_VELOCITY_FRACTION` of its stance velocity.

A contact whose bracket holds missing keypoints is skipped with a reason; the stride
builder counts such drops. Times are in seconds of the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.keypoints import SIDES
from gait.posetrack import PoseTrack

MIN_PROMINENCE_LEG = 0.2  # a contact's forward/backward extremes: at least this × leg length
MIN_PROMINENCE_OF_RANGE = 0.4  # … and this fraction of the foot's usual fore-aft range
MIN_STEP_S = 0.25  # two extremes of the same kind closer than this are one (≈ 240 steps/min)
MAX_CONTACT_BRACKET_S = 0.8  # peak-to-trough longer than this is not one running contact
FINE_TOLERANCE_LEG = 0.005
FINE_NOISE_SDS = 3.0
MAX_EXTENSION_S = 0.04  # never move an event more than this past its threshold crossing
TOE_OFF_VELOCITY_FRACTION = 0.8


@dataclass(frozen=True)
class SkippedContact:
    """A contact seen in the fore-aft motion whose events could not be timed."""

    side: str
    time_s: float
    reason: str  # "foot_not_visible" | "strike_not_found" | "toe_off_not_found"


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


def pelvis_x_px(track: PoseTrack) -> np.ndarray:
    """Mid-point of the two hips, x in px."""
    return 0.5 * (track.x_px[:, track.column("left_hip")]
                  + track.x_px[:, track.column("right_hip")])


def prominent_peaks(values: np.ndarray, *, min_prominence: float,
                    min_distance: int) -> np.ndarray:
    """Indices of local maxima that stand at least `min_prominence` above the lower of
    the two minima separating them from a higher peak (or the series' end) on either
    side; of peaks closer than `min_distance` samples only the highest is kept. NaN
    never forms a peak."""
    v = np.where(np.isfinite(values), values, -np.inf)
    n = len(v)
    candidates = [i for i in range(1, n - 1)
                  if np.isfinite(v[i]) and v[i] >= v[i - 1] and v[i] > v[i + 1]]
    kept = []
    for i in candidates:
        left_min = right_min = v[i]
        j = i - 1
        while j >= 0 and v[j] <= v[i]:
            left_min = min(left_min, v[j])
            j -= 1
        k = i + 1
        while k < n and v[k] <= v[i]:
            right_min = min(right_min, v[k])
            k += 1
        if v[i] - max(left_min, right_min) >= min_prominence:
            kept.append(i)
    kept.sort(key=lambda i: -v[i])
    chosen: list[int] = []
    for i in kept:
        if all(abs(i - c) >= min_distance for c in chosen):
            chosen.append(i)
    return np.array(sorted(chosen), dtype=int)


def contact_brackets(forward_px: np.ndarray, time_s: np.ndarray, *,
                     leg_length_px: float) -> list[tuple[int, int]]:
    """(peak, trough) frame pairs of the foot's forward distance from the pelvis: the
    foot's most forward point before each contact and its most backward point after
    it (Zeni 2008). Each peak is paired with the first trough after it that comes
    before the next peak."""
    finite = forward_px[np.isfinite(forward_px)]
    if len(finite) < 5:
        return []
    usual_range = float(np.percentile(finite, 95) - np.percentile(finite, 5))
    prominence = max(MIN_PROMINENCE_LEG * leg_length_px, MIN_PROMINENCE_OF_RANGE * usual_range)
    dt = float(np.median(np.diff(time_s)))
    distance = max(int(MIN_STEP_S / dt), 1)
    peaks = prominent_peaks(forward_px, min_prominence=prominence, min_distance=distance)
    troughs = prominent_peaks(-forward_px, min_prominence=prominence, min_distance=distance)
    pairs = []
    for k, p in enumerate(peaks):
        next_peak = peaks[k + 1] if k + 1 < len(peaks) else len(forward_px)
        after = troughs[(troughs > p) & (troughs < next_peak)]
        if len(after) and time_s[after[0]] - time_s[p] <= MAX_CONTACT_BRACKET_S:
            pairs.append((int(p), int(after[0])))
    if pairs and len(troughs) and troughs[0] < pairs[0][0]:
        # The clip starts during the first contact's descent: its forward peak is
        # before frame 0. Bracket it by the usual length when the clip holds at least
        # two thirds of it (the strike search then needs to see the foot come down).
        usual = int(np.median([t - p for p, t in pairs]))
        first = int(troughs[0])
        if first >= (2 * usual) // 3:
            pairs.insert(0, (max(first - usual, 0), first))
    if pairs and len(peaks) and peaks[-1] > pairs[-1][0]:
        # The clip ends during the last contact: its trough is not in the clip. Its
        # strike can still close a stride, so bracket it by the usual bracket length
        # when the clip holds at least the first two thirds of that.
        usual = int(np.median([t - p for p, t in pairs]))
        last = int(peaks[-1])
        if len(forward_px) - 1 - last >= (2 * usual) // 3:
            pairs.append((last, min(last + usual, len(forward_px) - 1)))
    return pairs


def _touch_time(time_s: np.ndarray, height: np.ndarray, i_out: int, i_in: int,
                threshold: float, ground: float) -> float:
    """When the foot reaches `ground`, from the frames around the crossing of
    `threshold` (= ground + tolerance): the crossing is interpolated between frame
    i_out (above) and i_in (at/below), then the foot's motion across that segment is
    extended linearly down to the ground level. Without this step every foot strike
    would be late by tolerance / foot speed."""
    h0, h1 = height[i_out], height[i_in]
    if not (np.isfinite(h0) and np.isfinite(h1)) or h0 <= h1:
        return float(time_s[i_in])
    step_s = time_s[i_in] - time_s[i_out]
    frac = np.clip((h0 - threshold) / (h0 - h1), 0.0, 1.0)
    crossing = time_s[i_out] + frac * step_s
    speed_px_s = (h0 - h1) / abs(step_s)
    extension_s = min((threshold - ground) / speed_px_s, MAX_EXTENSION_S)
    return float(crossing + np.sign(step_s) * extension_s)


def height_noise_px(height_px: np.ndarray, brackets: list[tuple[int, int]]) -> float:
    """Noise SD (px) of a foot's height in stance: the robust spread (1.4826·MAD) of
    the middle third of each contact around that contact's median. The foot barely
    moves there, so the spread is mostly pose noise (an over-estimate when the foot
    rolls, which errs on the safe side)."""
    deviations = []
    for peak, trough in brackets:
        third = (trough - peak) // 3
        middle = height_px[peak + third: trough - third + 1]
        middle = middle[np.isfinite(middle)]
        if len(middle) >= 3:
            deviations.append(middle - np.median(middle))
    if not deviations:
        return 0.0
    pooled = np.concatenate(deviations)
    return float(1.4826 * np.median(np.abs(pooled)))


def strike_time(time_s: np.ndarray, height_px: np.ndarray, peak: int, trough: int, *,
                tolerance_px: float, require_descent: bool = False) -> float | None:
    """First arrival of the foot at its stance level between the bracket's peak and its
    middle (None when the foot never comes down to it there). With `require_descent`
    (a bracket that starts at the clip's first frame) the foot must be seen above the
    level first."""
    third = max((trough - peak) // 3, 1)
    level = float(np.nanmedian(height_px[peak + third: trough - third + 1]))
    if not np.isfinite(level):
        return None
    threshold = level + tolerance_px
    mid = (peak + trough) // 2
    below = np.flatnonzero(height_px[peak: mid + 1] <= threshold)
    if len(below) == 0:
        return None
    first = peak + int(below[0])
    if first == 0 or (below[0] == 0 and require_descent):
        return None  # already down when the view starts: the strike is not in the clip
    return _touch_time(time_s, height_px, first - 1, first, threshold, level)


def toe_off_time(time_s: np.ndarray, forward_px: np.ndarray, peak: int,
                 trough: int) -> float | None:
    """Last time before the trough that the foot still moves backward at
    TOE_OFF_VELOCITY_FRACTION of its stance velocity (its median velocity over the
    middle third of the bracket), interpolated between frames."""
    velocity = np.gradient(forward_px, time_s)
    third = max((trough - peak) // 3, 1)
    stance_velocity = float(np.nanmedian(velocity[peak + third: trough - third + 1]))
    if not np.isfinite(stance_velocity) or stance_velocity >= 0:
        return None
    threshold = TOE_OFF_VELOCITY_FRACTION * stance_velocity
    for i in range(trough, (peak + trough) // 2, -1):
        before, after = velocity[i - 1], velocity[i]
        if before <= threshold < after:
            frac = (threshold - before) / (after - before)
            return float(time_s[i - 1] + frac * (time_s[i] - time_s[i - 1]))
    return None


def detect_events(track: PoseTrack, *, leg_length_px: float,
                  direction: int) -> tuple[pd.DataFrame, list[SkippedContact]]:
    """Foot strikes and toe-offs of both feet, and the contacts that had to be skipped.

    `direction` is +1 when the runner moves toward +x (image right), −1 otherwise.
    Returns a table with columns side, event ("foot_strike" / "toe_off"), time_s,
    contact (index of the contact for that side), sorted by time.
    """
    pelvis = pelvis_x_px(track)
    rows, skipped = [], []
    for side in SIDES:
        ankle_forward = direction * (track.x_px[:, track.column(f"{side}_ankle")] - pelvis)
        foot_x, foot_y = foot_lowest_point(track, side)
        a, b = fit_ground_line(foot_x, foot_y, leg_length_px=leg_length_px)
        height = (a + b * foot_x) - foot_y  # px above this foot's ground line, + up
        brackets = contact_brackets(ankle_forward, track.time_s, leg_length_px=leg_length_px)
        tolerance = max(FINE_NOISE_SDS * height_noise_px(height, brackets),
                        FINE_TOLERANCE_LEG * leg_length_px)
        k = 0
        for peak, trough in brackets:
            when = float(track.time_s[peak])
            if not (np.isfinite(height[peak:trough + 1]).all()
                    and np.isfinite(ankle_forward[peak:trough + 1]).all()):
                skipped.append(SkippedContact(side, when, "foot_not_visible"))
                continue
            strike = strike_time(track.time_s, height, peak, trough, tolerance_px=tolerance,
                                 require_descent=peak == 0)
            toe_off = toe_off_time(track.time_s, ankle_forward, peak, trough)
            if strike is None:
                skipped.append(SkippedContact(side, when, "strike_not_found"))
                continue
            if toe_off is None or toe_off <= strike:
                if trough < track.n_frames - 1:
                    skipped.append(SkippedContact(side, when, "toe_off_not_found"))
                    continue
                toe_off = float("nan")  # cut by the clip's end: the strike still ends a stride
            rows.append((side, "foot_strike", strike, k))
            rows.append((side, "toe_off", toe_off, k))
            k += 1
    events = pd.DataFrame(rows, columns=["side", "event", "time_s", "contact"])
    return events.sort_values("time_s", kind="stable").reset_index(drop=True), skipped
