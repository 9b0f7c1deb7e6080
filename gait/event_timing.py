"""Timing one contact's foot strike and toe-off (gait.events finds the contacts and
says which signals are used; its docstring gives the method and the measurements
behind it). Inputs are on an even time grid: `time_s` in seconds; heights in pixels
above the foot's ground line; `forward_px` the foot's distance ahead of the pelvis in
the direction of travel; `peak`, `trough` the indices bracketing the contact."""

from __future__ import annotations

import numpy as np

STRIKE_BACKWARD_FRACTION = 0.5  # a landed foot moves back with the ground at least this
# share of its stance velocity. Measured on 10 recorded tracks of the labelled real clip
# (as filmed and 7 copies with heavy, as filmed and mirrored with full): a foot hovering
# low came within the height tolerance early (mirrored with heavy: all 16 near strikes
# early, median 2.1 frames; 25 fps copy: one 3.6 frames early, 2 strides lost); with the
# bound, 150 instead of 142 of 160 near strides were found, the far feet kept 156, and
# mirrored strikes came 1.7 frames off. 0.7–1.0 timed the real strikes closer still but
# made the rendered dev set's (seed 1) late: pooled near strike error 0.5 frames without
# the bound, 0.4 at 0.5, 0.5 at 0.7 (1.7 on one clip), 1.3 at 0.9 (without the
# stance-level limit). Measured afterwards on a second labelled real runner this was not
# chosen on (docs/accuracy.md "The second runner"): the same strides, near contacts 41 → 36 ms.
MAX_EXTENSION_S = 0.04  # never move an event more than this past its threshold crossing
# (a strike's cap may be longer, in frames: gait.events.STRIKE_EXTENSION_FRAMES)


def _touch_time(time_s: np.ndarray, height: np.ndarray, i_out: int, i_in: int,
                threshold: float, ground: float, *,
                max_extension_s: float = MAX_EXTENSION_S) -> float:
    """When the foot reaches `ground`, from the frames around the crossing of
    `threshold` (= ground + tolerance): the crossing is interpolated between frame
    i_out (above) and i_in (at/below), then the foot's motion across that segment is
    extended linearly down to the ground level, by at most `max_extension_s`. Without
    this step every foot strike would be early by tolerance / foot speed."""
    h0, h1 = height[i_out], height[i_in]
    if not (np.isfinite(h0) and np.isfinite(h1)) or h0 <= h1:
        return float(time_s[i_in])
    step_s = time_s[i_in] - time_s[i_out]
    frac = np.clip((h0 - threshold) / (h0 - h1), 0.0, 1.0)
    crossing = time_s[i_out] + frac * step_s
    speed_px_s = (h0 - h1) / abs(step_s)
    extension_s = min((threshold - ground) / speed_px_s, max_extension_s)
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


def stance_level_px(height_px: np.ndarray, peak: int, trough: int) -> float:
    """The foot's height in stance: the median over the middle third of the bracket
    (NaN when it is not seen there)."""
    third = max((trough - peak) // 3, 1)
    return float(np.nanmedian(height_px[peak + third: trough - third + 1]))


def _level_and_threshold(height_px: np.ndarray, peak: int, trough: int,
                         tolerance_px: float) -> tuple[float, float] | None:
    """The foot's stance level and that level + `tolerance_px` (None when the foot is not
    seen in the middle of its stance)."""
    level = stance_level_px(height_px, peak, trough)
    return (level, level + tolerance_px) if np.isfinite(level) else None


def strike_time(time_s: np.ndarray, height_px: np.ndarray, forward_px: np.ndarray,
                peak: int, trough: int, *, tolerance_px: float, noise_px: float,
                require_descent: bool = False,
                extension_frames: float = 0.0) -> float | None:
    """First arrival of the foot at its stance level between the bracket's peak and its
    middle (None when the foot never comes down to it there): the first time it is within
    `tolerance_px` above that level, extended down to it — but not before the foot moves
    back with the ground (`moving_back_time`), unless it is already at its level (within
    `noise_px`) by then. With `require_descent` (a bracket that starts at the clip's first
    frame) the foot must be seen above the level first. The extension down to the level is
    capped at MAX_EXTENSION_S or `extension_frames` frame intervals, whichever is longer."""
    levels = _level_and_threshold(height_px, peak, trough, tolerance_px)
    if levels is None:
        return None
    level, threshold = levels
    mid = (peak + trough) // 2
    below = np.flatnonzero(height_px[peak: mid + 1] <= threshold)
    if len(below) == 0:
        return None
    first = peak + int(below[0])
    if first == 0 or (below[0] == 0 and require_descent):
        return None  # already down when the view starts: the strike is not in the clip
    cap_s = max(MAX_EXTENSION_S, extension_frames * float(time_s[first] - time_s[first - 1]))
    near_ground = _touch_time(time_s, height_px, first - 1, first, threshold, level,
                              max_extension_s=cap_s)
    moving_back = moving_back_time(time_s, forward_px, peak, trough,
                                   velocity_fraction=STRIKE_BACKWARD_FRACTION)
    if moving_back is None or moving_back <= near_ground:
        return near_ground
    at_level = np.flatnonzero(height_px[peak: mid + 1] <= level + noise_px)
    latest = max(float(time_s[peak + at_level[0]]), near_ground) if len(at_level) else moving_back
    return min(moving_back, latest)


def _stance_velocity(time_s: np.ndarray, forward_px: np.ndarray, peak: int,
                     trough: int) -> tuple[np.ndarray, float] | None:
    """The foot's forward velocity (px/s) per frame and its stance velocity (the median
    over the middle third of the bracket); None unless the foot moves back in stance.
    Only the bracket's frames (peak…trough) hold a velocity; the rest are NaN. One frame of
    padding either side keeps the central differences the whole clip's gradient gives."""
    start, stop = max(peak - 1, 0), min(trough + 2, len(forward_px))
    velocity = np.full(len(forward_px), np.nan)
    if stop - start >= 2:
        velocity[start:stop] = np.gradient(forward_px[start:stop], time_s[start:stop])
    third = max((trough - peak) // 3, 1)
    stance_velocity = float(np.nanmedian(velocity[peak + third: trough - third + 1]))
    if not np.isfinite(stance_velocity) or stance_velocity >= 0:
        return None
    return velocity, stance_velocity


def moving_back_time(time_s: np.ndarray, forward_px: np.ndarray, peak: int, trough: int,
                     *, velocity_fraction: float) -> float | None:
    """First time after the bracket's peak (before its middle) that the foot moves
    backward at `velocity_fraction` of its stance velocity, interpolated between frames;
    None if it does not cross that there."""
    found = _stance_velocity(time_s, forward_px, peak, trough)
    if found is None:
        return None
    velocity, stance_velocity = found
    threshold = velocity_fraction * stance_velocity
    for i in range(peak + 1, (peak + trough) // 2 + 1):
        before, after = velocity[i - 1], velocity[i]
        if before > threshold >= after:
            frac = (before - threshold) / (before - after)
            return float(time_s[i - 1] + frac * (time_s[i] - time_s[i - 1]))
    return None


def toe_off_time(time_s: np.ndarray, forward_px: np.ndarray, peak: int,
                 trough: int, *, velocity_fraction: float) -> float | None:
    """Last time before the trough that the foot still moves backward at
    `velocity_fraction` of its stance velocity (its median velocity over the middle third
    of the bracket), interpolated between frames."""
    found = _stance_velocity(time_s, forward_px, peak, trough)
    if found is None:
        return None
    velocity, stance_velocity = found
    threshold = velocity_fraction * stance_velocity
    for i in range(trough, (peak + trough) // 2, -1):
        before, after = velocity[i - 1], velocity[i]
        if before <= threshold < after:
            frac = (threshold - before) / (after - before)
            return float(time_s[i - 1] + frac * (time_s[i] - time_s[i - 1]))
    return None


def lift_time(time_s: np.ndarray, height_px: np.ndarray, peak: int, trough: int, *,
              tolerance_px: float) -> float | None:
    """When the foot last leaves its stance level in the second half of the bracket: the
    last frame within `tolerance_px` above that level (the median over the middle third),
    the crossing to the next frame interpolated and extended back down to the level, as
    `strike_time` does on the way down. None when the foot is never above it there."""
    levels = _level_and_threshold(height_px, peak, trough, tolerance_px)
    if levels is None:
        return None
    level, threshold = levels
    mid = (peak + trough) // 2
    down = np.flatnonzero(height_px[mid: trough + 1] <= threshold)
    if len(down) == 0 or mid + int(down[-1]) >= trough:
        return None
    last = mid + int(down[-1])
    return _touch_time(time_s, height_px, last + 1, last, threshold, level)
